// Shared helpers of the MimicMetrics tests: where the golden files are.
import Foundation

/// A file of this target's Resources folder.
func resourceURL(_ name: String, _ ext: String) -> URL {
    Bundle.module.url(forResource: "Resources/" + name, withExtension: ext)
        ?? URL(fileURLWithPath: Bundle.module.bundlePath + "/Resources/\(name).\(ext)")
}
