import Testing
@testable import MimicModels
