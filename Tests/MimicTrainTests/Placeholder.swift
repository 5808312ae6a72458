// MimicTrain tests.
import Testing
