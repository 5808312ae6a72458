import Testing
@testable import MimicTensor
