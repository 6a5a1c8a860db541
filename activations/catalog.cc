#include "activations/catalog.h"

#include <array>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#define ACTIVATIONS_WANT_DEFINITIONS
#include "activations/activation_list.h"

namespace activations {
namespace {

constexpr std::array<ActivationSpec, kNumActivations> kCatalog = {
#define ACTIVATIONS_SPEC_ENTRY(Name) k##Name##Spec,
    ACTIVATION_LIST(ACTIVATIONS_SPEC_ENTRY)
#undef ACTIVATIONS_SPEC_ENTRY
};

std::string FormatEnd(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrCat(v);
}

}  // namespace

std::string Range::ToString() const {
  return absl::StrCat(min_inclusive ? "[" : "(", FormatEnd(min), ", ",
                      FormatEnd(max), max_inclusive ? "]" : ")");
}

std::span<const ActivationSpec> Catalog() { return kCatalog; }

const ActivationSpec& GetSpec(ActivationId id) {
  return kCatalog[static_cast<std::size_t>(id)];
}

const ActivationSpec* FindSpec(std::string_view name, ActivationId* id) {
  for (std::size_t i = 0; i < kCatalog.size(); ++i) {
    if (kCatalog[i].name == name) {
      if (id != nullptr) *id = static_cast<ActivationId>(i);
      return &kCatalog[i];
    }
  }
  return nullptr;
}

std::string ActivationNames() {
  return absl::StrJoin(kCatalog, ", ", [](std::string* out, const ActivationSpec& s) {
    out->append(s.name.data(), s.name.size());
  });
}

}  // namespace activations
