// The catalogue as the API publishes it (ListActivations), built from the
// library's specs.
#ifndef SERVER_CATALOG_RESPONSE_H_
#define SERVER_CATALOG_RESPONSE_H_

#include "activation/v1/activation.pb.h"

namespace actserver {

// Every activation in catalogue order, with this CPU's SIMD target.
// Thread-safe.
void FillCatalog(activation::v1::ListActivationsResponse* response);

}  // namespace actserver

#endif  // SERVER_CATALOG_RESPONSE_H_
