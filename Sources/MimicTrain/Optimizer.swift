// AdamW (decoupled weight decay, bias correction, PyTorch's update order), gradient clipping by global norm,
// and learning-rate schedules: linear warm-up, then constant, linear or cosine decay.
import Foundation
import MimicTensor

/// AdamW settings.
public struct AdamWOptions: Codable, Sendable, Equatable {
    /// Base (peak) learning rate, which the schedule multiplies.
    public var learningRate: Double = 2e-3
    /// Decay rate of the first-moment (mean) estimate.
    public var beta1: Double = 0.9
    /// Decay rate of the second-moment (uncentred variance) estimate.
    public var beta2: Double = 0.999
    /// Added to the square root of the second moment to avoid division by zero.
    public var epsilon: Double = 1e-8
    /// Decoupled weight decay: each update first multiplies weights by 1 − lr × weightDecay (0: off).
    public var weightDecay: Double = 0.0
    /// Global-norm clipping threshold (0: off).
    public var clipNorm: Double = 1.0
    /// Scale each tensor's update by max(1e-3, RMS(weight)), as Adafactor's relative step does; this is the
    /// paper's "gradients re-scaled by the magnitude of each weight" (PaLM / Flan-T5 recipe). Off by default.
    public var scaleByWeightRMS = false

    /// Settings with PyTorch's AdamW defaults except `learningRate` (2e-3), `weightDecay` (0) and clipping at 1.
    public init(learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, clipNorm: Double = 1, scaleByWeightRMS: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
        self.scaleByWeightRMS = scaleByWeightRMS
    }
}

/// How the learning rate moves over training.
public enum Schedule: Codable, Sendable, Equatable {
    /// Linear warm-up from 0 over `warmup` steps, then constant.
    case constant(warmup: Int)
    /// Linear warm-up, then linear decay to 0 at `total` steps.
    case linear(warmup: Int, total: Int)
    /// Linear warm-up, then cosine decay to 0 at `total` steps.
    case cosine(warmup: Int, total: Int)

    /// The multiplier of the base rate at update `step` (0 for the first update).
    public func factor(step: Int) -> Double {
        let warmup: Int
        switch self {
        case .constant(let w), .linear(let w, _), .cosine(let w, _): warmup = w
        }
        if step < warmup { return Double(step + 1) / Double(warmup) }
        switch self {
        case .constant: return 1
        case .linear(_, let total):
            return max(0, Double(total - step) / Double(max(total - warmup, 1)))
        case .cosine(_, let total):
            let progress = min(1, Double(step - warmup) / Double(max(total - warmup, 1)))
            return 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}

/// AdamW over a model's parameters. Its state (moments, step) can be saved and restored for resuming.
public final class AdamW: @unchecked Sendable {
    /// The settings (the learning rate itself is given to each update).
    public let options: AdamWOptions
    /// Updates applied so far (used for bias correction).
    public private(set) var step = 0
    let m: [Tensor]
    let v: [Tensor]
    let parameters: [Parameter]

    /// An optimizer with zero moments for `parameters` (updated in place).
    public init(parameters: [Parameter], options: AdamWOptions) {
        self.parameters = parameters
        self.options = options
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// The global L2 norm of all gradients.
    public func gradientNorm() -> Double {
        var ss = 0.0
        for p in parameters {
            var s: Float = 0
            for i in 0..<p.count { s += p.grad[i] * p.grad[i] }
            ss += Double(s)
        }
        return ss.squareRoot()
    }

    /// Clips, then applies one update at `learningRate`. Returns the gradient norm before clipping.
    @discardableResult
    public func update(learningRate lr: Double) -> Double {
        let norm = gradientNorm()
        var clip: Float = 1
        if options.clipNorm > 0 {
            let coef = options.clipNorm / (norm + 1e-6)
            if coef < 1 { clip = Float(coef) }
        }
        step += 1
        let b1 = Float(options.beta1), b2 = Float(options.beta2), eps = Float(options.epsilon)
        let bc1 = 1 - pow(options.beta1, Double(step)), bc2 = 1 - pow(options.beta2, Double(step))
        let bc2Root = Float(bc2.squareRoot())
        for (j, p) in parameters.enumerated() {
            var stepSize = Float(lr / bc1)
            if options.scaleByWeightRMS {
                var ss: Float = 0
                for i in 0..<p.count { ss += p.value[i] * p.value[i] }
                stepSize *= max(1e-3, (ss / Float(p.count)).squareRoot())
            }
            let decay = Float(1 - lr * options.weightDecay)
            let w = p.value.data, g = p.grad.data, mj = m[j].data, vj = v[j].data
            for i in 0..<p.count {
                let gi = g[i] * clip
                w[i] *= decay
                mj[i] = b1 * mj[i] + (1 - b1) * gi
                vj[i] = b2 * vj[i] + (1 - b2) * gi * gi
                w[i] -= stepSize * mj[i] / (vj[i].squareRoot() / bc2Root + eps)
            }
        }
        return norm
    }

    /// The optimizer state as named tensors (for checkpoints): "<param>.exp_avg", "<param>.exp_avg_sq".
    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (j, p) in parameters.enumerated() {
            out[p.name + ".exp_avg"] = m[j]
            out[p.name + ".exp_avg_sq"] = v[j]
        }
        return out
    }

    /// Restores moments saved by `stateTensors()` and the step count; each must have its parameter's exact shape
    /// (`TrainError.missingParameter` or `.shapeMismatch` otherwise).
    public func restore(state: [String: Tensor], step: Int) throws {
        for (j, p) in parameters.enumerated() {
            let a = try requireTensor(p.name + ".exp_avg", shape: p.shape, in: state)
            let b = try requireTensor(p.name + ".exp_avg_sq", shape: p.shape, in: state)
            m[j].data.update(from: a.data, count: p.count)
            v[j].data.update(from: b.data, count: p.count)
        }
        self.step = step
    }
}
