// MimicTensor: FP32 tensors and CPU kernels.
