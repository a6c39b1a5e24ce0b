#include "attest/snp/product.h"

namespace attest::snp {
namespace {

uint8_t Byte(uint64_t value, int index) { return static_cast<uint8_t>(value >> (8 * index)); }
uint64_t Place(uint8_t byte, int index) { return uint64_t{byte} << (8 * index); }

}  // namespace

std::string_view ProductName(Product product) {
  switch (product) {
    case Product::kMilan:
      return "Milan";
    case Product::kGenoa:
      return "Genoa";
    case Product::kTurin:
      return "Turin";
  }
  return "unknown";
}

std::optional<Product> ProductFromName(std::string_view name) {
  if (name == "Milan") {
    return Product::kMilan;
  }
  if (name == "Genoa") {
    return Product::kGenoa;
  }
  if (name == "Turin") {
    return Product::kTurin;
  }
  return std::nullopt;
}

std::optional<Product> ProductFromCpuid(uint8_t family, uint8_t model) {
  if (family == 0x19 && model <= 0x0F) {
    return Product::kMilan;
  }
  if (family == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))) {
    return Product::kGenoa;
  }
  if (family == 0x1A && model <= 0x1F) {
    return Product::kTurin;
  }
  return std::nullopt;
}

TcbParts DecodeTcb(uint64_t tcb, Product product) {
  TcbParts p;
  if (product == Product::kTurin) {
    p.fmc = Byte(tcb, 0);
    p.bootloader = Byte(tcb, 1);
    p.tee = Byte(tcb, 2);
    p.snp = Byte(tcb, 3);
    p.reserved[0] = Byte(tcb, 4);
    p.reserved[1] = Byte(tcb, 5);
    p.reserved[2] = Byte(tcb, 6);
    p.microcode = Byte(tcb, 7);
  } else {
    p.bootloader = Byte(tcb, 0);
    p.tee = Byte(tcb, 1);
    for (int i = 0; i < 4; ++i) {
      p.reserved[i] = Byte(tcb, 2 + i);
    }
    p.snp = Byte(tcb, 6);
    p.microcode = Byte(tcb, 7);
  }
  return p;
}

uint64_t EncodeTcb(const TcbParts& p, Product product) {
  if (product == Product::kTurin) {
    return Place(p.fmc.value_or(0), 0) | Place(p.bootloader, 1) | Place(p.tee, 2) |
           Place(p.snp, 3) | Place(p.reserved[0], 4) | Place(p.reserved[1], 5) |
           Place(p.reserved[2], 6) | Place(p.microcode, 7);
  }
  uint64_t out = Place(p.bootloader, 0) | Place(p.tee, 1) | Place(p.snp, 6) | Place(p.microcode, 7);
  for (int i = 0; i < 4; ++i) {
    out |= Place(p.reserved[i], 2 + i);
  }
  return out;
}

}  // namespace attest::snp
