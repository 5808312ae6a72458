// CKernels: hot loops in C with run-time CPU dispatch (AVX-512 / AVX2 / scalar).
#pragma once
#include <stddef.h>
#include <stdint.h>
