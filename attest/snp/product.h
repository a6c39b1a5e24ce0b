// AMD EPYC products, and the TCB_VERSION layout that depends on them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace attest::snp {

enum class Product : uint8_t { kMilan, kGenoa, kTurin };

// ProductName is "Milan", "Genoa" or "Turin", as AMD names the product in KDS and certificates.
std::string_view ProductName(Product product);
// ProductFromName parses those names (exact match).
std::optional<Product> ProductFromName(std::string_view name);
// ProductFromCpuid maps the report's CPUID family/model (version 3+) to a product: family 19h
// models 00h-0Fh Milan, 10h-1Fh and A0h-AFh Genoa (Genoa, Bergamo, Siena share Genoa keys); family
// 1Ah models 00h-1Fh Turin.
std::optional<Product> ProductFromCpuid(uint8_t family, uint8_t model);

// TcbParts: the security patch levels packed in a TCB_VERSION (SNP ABI Table 3; Turin adds FMC
// and moves the fields). reserved holds the bytes the product does not assign, in order.
struct TcbParts {
  uint8_t bootloader = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t microcode = 0;
  std::optional<uint8_t> fmc;  // Turin only
  uint8_t reserved[4] = {};    // Milan/Genoa: bytes 2..5; Turin: bytes 4..6 (+ one zero)
};

TcbParts DecodeTcb(uint64_t tcb, Product product);
uint64_t EncodeTcb(const TcbParts& parts, Product product);

}  // namespace attest::snp
