//===- CEnum.h - C API: the integer a C caller stored in a C enum ---------===//

#ifndef HMOE_LIB_CAPI_CENUM_H
#define HMOE_LIB_CAPI_CENUM_H

#include <cstdint>
#include <cstring>

namespace mlir::hmoe {
/// The integer in a C enum `value`, read as its bytes: a C caller may store
/// any int there, and in C++ loading one outside the enum's range as the
/// enum is undefined behaviour (UBSan's "not a valid value"). The C++
/// enums it is cast to have a fixed underlying type, so their verifiers can
/// then refuse it.
template <typename CEnum> int32_t rawValue(const CEnum &value) {
  static_assert(sizeof(CEnum) == sizeof(int32_t), "an int-sized C enum");
  int32_t raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}
} // namespace mlir::hmoe

#endif // HMOE_LIB_CAPI_CENUM_H
