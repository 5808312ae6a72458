// The command line as a stage config's top layer: ArgumentParser's option wrappers encode as their values, so a
// command's parsed options (named as its config's keys) are handed to `ConfigResolver.resolve(flags:)` whole.
import ArgumentParser

extension Option: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: Encoder) throws { try wrappedValue.encode(to: encoder) }
}

extension Argument: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: Encoder) throws { try wrappedValue.encode(to: encoder) }
}

extension Flag: @retroactive Encodable where Value: Encodable {
    /// A plain flag not given (`false`) encodes as null: it does not override the file or the environment.
    public func encode(to encoder: Encoder) throws {
        if Value.self == Bool.self, let given = wrappedValue as? Bool, !given {
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        } else {
            try wrappedValue.encode(to: encoder)
        }
    }
}

extension OptionGroup: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: Encoder) throws { try wrappedValue.encode(to: encoder) }
}
