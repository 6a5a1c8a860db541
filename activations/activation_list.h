// The one list that names every activation once.
//
// ACTIVATION_LIST(X) expands X(Name) for every activation, in catalogue
// order. `Name` is the struct in `<name>-inl.h` that holds the kernels; the
// spec beside it is `k<Name>Spec`. The id enum, the catalogue, the kernel
// dispatch, the typed tests and the benchmarks all expand this list.
//
// To add an activation: write `activations/<name>-inl.h` (copy the shape of
// sigmoid-inl.h) and add one X entry plus its #include below.
#ifndef ACTIVATIONS_ACTIVATION_LIST_H_
#define ACTIVATIONS_ACTIVATION_LIST_H_

#define ACTIVATION_LIST(X) \
  X(Sigmoid)               \
  X(Tanh)                  \
  X(Relu)                  \
  X(LeakyRelu)             \
  X(Elu)                   \
  X(Softplus)              \
  X(Silu)                  \
  X(Swish)                 \
  X(Mish)                  \
  X(Gelu)                  \
  X(GeluTanh)

#endif  // ACTIVATIONS_ACTIVATION_LIST_H_

// The definitions, for the translation units that expand them (the catalogue
// and the per-target kernels). Outside the include guard on purpose: Highway's
// foreach_target re-includes the per-target half of each file once per target.
#ifdef ACTIVATIONS_WANT_DEFINITIONS
#include "activations/sigmoid-inl.h"
#include "activations/tanh-inl.h"
#include "activations/relu-inl.h"
#include "activations/leaky_relu-inl.h"
#include "activations/elu-inl.h"
#include "activations/softplus-inl.h"
#include "activations/silu-inl.h"
#include "activations/swish-inl.h"
#include "activations/mish-inl.h"
#include "activations/gelu-inl.h"
#include "activations/gelu_tanh-inl.h"
#endif
