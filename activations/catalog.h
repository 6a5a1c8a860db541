// The catalogue: every activation's spec, in ACTIVATION_LIST order.
#ifndef ACTIVATIONS_CATALOG_H_
#define ACTIVATIONS_CATALOG_H_

#include <span>
#include <string>
#include <string_view>

#include "activations/activation_id.h"
#include "activations/spec.h"

namespace activations {

// Every spec, indexed by static_cast<int>(ActivationId). Thread-safe.
std::span<const ActivationSpec> Catalog();

// The spec of one activation.
const ActivationSpec& GetSpec(ActivationId id);

// The activation with this catalogue name, or nullptr.
const ActivationSpec* FindSpec(std::string_view name, ActivationId* id = nullptr);

// "sigmoid, tanh, relu, ..." for error messages and help texts.
std::string ActivationNames();

}  // namespace activations

#endif  // ACTIVATIONS_CATALOG_H_
