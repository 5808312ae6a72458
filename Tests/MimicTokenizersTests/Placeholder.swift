import Testing
@testable import MimicTokenizers
