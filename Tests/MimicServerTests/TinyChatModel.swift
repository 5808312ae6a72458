// The tiny chat model (MimicTestSupport) opened for the server tests.
import Foundation
import MimicModels
import MimicTestSupport

extension TinyChatModel {
    /// The fixture written to a fresh temporary file and opened.
    static func open() throws -> OpenedModel {
        try OpenedModel(Scratch.file(gguf(), name: "tiny-chat.gguf", prefix: "mimic-server-tests").path)
    }
}
