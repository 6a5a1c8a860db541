// ActivationId: one enumerator per entry of ACTIVATION_LIST.
#ifndef ACTIVATIONS_ACTIVATION_ID_H_
#define ACTIVATIONS_ACTIVATION_ID_H_

#include <cstddef>

#include "activations/activation_list.h"

namespace activations {

enum class ActivationId : int {
#define ACTIVATIONS_ID_ENUMERATOR(Name) k##Name,
  ACTIVATION_LIST(ACTIVATIONS_ID_ENUMERATOR)
#undef ACTIVATIONS_ID_ENUMERATOR
};

#define ACTIVATIONS_COUNT_ONE(Name) +1
inline constexpr std::size_t kNumActivations = 0 ACTIVATION_LIST(ACTIVATIONS_COUNT_ONE);
#undef ACTIVATIONS_COUNT_ONE

}  // namespace activations

#endif  // ACTIVATIONS_ACTIVATION_ID_H_
