// Rotary position embedding: inverse frequencies from the config (base, partial dims, linear or Llama-3
// scaling) and the cos/sin tables for a run of positions.
import Foundation

/// `rope_scaling` of a Hugging Face config.
public struct RopeScaling: Codable, Sendable, Equatable {
    /// `rope_type` (or the older `type`): "default", "linear" or "llama3" are supported.
    public var ropeType: String
    /// Scaling factor (`factor`; 1 when absent).
    public var factor: Double
    /// Llama-3 `low_freq_factor` (1 when nil).
    public var lowFreqFactor: Double?
    /// Llama-3 `high_freq_factor` (4 when nil).
    public var highFreqFactor: Double?
    /// Llama-3 `original_max_position_embeddings` (8192 when nil).
    public var originalMaxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// A scaling rule with the given fields.
    public init(ropeType: String, factor: Double, lowFreqFactor: Double? = nil, highFreqFactor: Double? = nil,
                originalMaxPositionEmbeddings: Int? = nil) {
        self.ropeType = ropeType
        self.factor = factor
        self.lowFreqFactor = lowFreqFactor
        self.highFreqFactor = highFreqFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }

    /// Decodes `rope_scaling`, reading `rope_type` or the older `type` ("default" when neither is present).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type) ?? "default"
        factor = try c.decodeIfPresent(Double.self, forKey: .factor) ?? 1
        lowFreqFactor = try c.decodeIfPresent(Double.self, forKey: .lowFreqFactor)
        highFreqFactor = try c.decodeIfPresent(Double.self, forKey: .highFreqFactor)
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
    }

    /// Encodes with `rope_type`, leaving out absent optional fields.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ropeType, forKey: .ropeType)
        try c.encode(factor, forKey: .factor)
        try c.encodeIfPresent(lowFreqFactor, forKey: .lowFreqFactor)
        try c.encodeIfPresent(highFreqFactor, forKey: .highFreqFactor)
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
    }
}

/// Rotary embedding tables for one model.
public struct RotaryEmbedding: Sendable {
    /// Inverse frequency of each rotated pair, (rotaryDim / 2).
    public let invFreq: [Float]
    /// Whether pairs are (2i, 2i+1) (GGUF) rather than (i, i + d/2) (Hugging Face).
    public let interleaved: Bool
    /// Dimensions of each head that are rotated (twice the number of frequencies).
    public var rotaryDim: Int { invFreq.count * 2 }

    /// Frequencies as Hugging Face computes them: base^(−2i/d), then the scaling rule.
    /// `freqFactors` (a GGUF's `rope_freqs.weight`) divide the frequencies, as llama.cpp applies Llama-3 scaling.
    public init(dim: Int, base: Double, scaling: RopeScaling?, interleaved: Bool, freqFactors: [Float]? = nil) throws {
        var inv = (0..<(dim / 2)).map { i in 1.0 / pow(base, Double(2 * i) / Double(dim)) }
        if let f = freqFactors, f.count == inv.count { inv = zip(inv, f).map { $0 / Double($1) } }
        switch scaling?.ropeType {
        case nil, "default": break
        case "linear":
            inv = inv.map { $0 / scaling!.factor }
        case "llama3":
            let s = scaling!
            let low = s.lowFreqFactor ?? 1, high = s.highFreqFactor ?? 4
            let old = Double(s.originalMaxPositionEmbeddings ?? 8192)
            let lowWavelen = old / low, highWavelen = old / high
            inv = inv.map { f in
                let wavelen = 2 * Double.pi / f
                if wavelen < highWavelen { return f }
                if wavelen > lowWavelen { return f / s.factor }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * f / s.factor + smooth * f
            }
        case let other?:
            throw ModelError.invalid(file: "config", field: "rope_scaling.rope_type",
                                     problem: "'\(other)' is not supported (default, linear, llama3 are)")
        }
        invFreq = inv.map { Float($0) }
        self.interleaved = interleaved
    }

    /// cos and sin tables for positions p0..<p0+count, each (count, rotaryDim/2).
    public func tables(from p0: Int, count: Int) -> (cos: [Float], sin: [Float]) {
        let half = invFreq.count
        var c = [Float](repeating: 0, count: count * half), s = c
        for t in 0..<count {
            let p = Float(p0 + t)
            for i in 0..<half {
                let angle = Double(p * invFreq[i])
                c[t * half + i] = Float(Foundation.cos(angle))
                s[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (c, s)
    }
}
