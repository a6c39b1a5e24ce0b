#include "attest/snp/claims.h"

namespace attest::snp {
namespace {

bool Bit(uint64_t value, int bit) { return ((value >> bit) & 1) != 0; }

TcbClaim MakeTcb(uint64_t raw, std::optional<Product> product) {
  TcbClaim claim;
  claim.raw = raw;
  if (product) {
    claim.parts = DecodeTcb(raw, *product);
  }
  return claim;
}

SnpClaims Build(const SnpReport& report, std::optional<Product> product) {
  SnpClaims c;
  c.product = product;
  c.report = report;
  c.policy = DecodeGuestPolicy(report.policy);
  c.platform_info = DecodePlatformInfo(report.platform_info);
  c.current_tcb = MakeTcb(report.current_tcb, product);
  c.reported_tcb = MakeTcb(report.reported_tcb, product);
  c.committed_tcb = MakeTcb(report.committed_tcb, product);
  c.launch_tcb = MakeTcb(report.launch_tcb, product);
  return c;
}

}  // namespace

GuestPolicy DecodeGuestPolicy(uint64_t policy) {
  GuestPolicy p;
  p.raw = policy;
  p.abi_minor = static_cast<uint8_t>(policy & 0xFF);
  p.abi_major = static_cast<uint8_t>((policy >> 8) & 0xFF);
  p.smt = Bit(policy, 16);
  p.migrate_ma = Bit(policy, 18);
  p.debug = Bit(policy, 19);
  p.single_socket = Bit(policy, 20);
  p.cxl_allow = Bit(policy, 21);
  p.mem_aes_256_xts = Bit(policy, 22);
  p.rapl_dis = Bit(policy, 23);
  p.ciphertext_hiding = Bit(policy, 24);
  p.page_swap_disable = Bit(policy, 25);
  return p;
}

PlatformInfo DecodePlatformInfo(uint64_t info) {
  PlatformInfo p;
  p.raw = info;
  p.smt_en = Bit(info, 0);
  p.tsme_en = Bit(info, 1);
  p.ecc_en = Bit(info, 2);
  p.rapl_dis = Bit(info, 3);
  p.ciphertext_hiding_en = Bit(info, 4);
  p.alias_check_complete = Bit(info, 5);
  p.tio_en = Bit(info, 7);
  return p;
}

SnpClaims ToClaims(const VerifiedSnpReport& verified) {
  SnpClaims c = Build(verified.report(), verified.endorsement().product);
  c.verified = true;
  c.signing_key = verified.endorsement().kind;
  return c;
}

SnpClaims UnverifiedClaims(const SnpReport& report) {
  std::optional<Product> product;
  if (report.has_cpuid) {
    product = ProductFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id);
  }
  return Build(report, product);
}

}  // namespace attest::snp
