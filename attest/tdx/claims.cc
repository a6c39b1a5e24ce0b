#include "attest/tdx/claims.h"

#include "attest/tdx/verify.h"

namespace attest::tdx {

TdAttributes DecodeTdAttributes(const std::array<uint8_t, 8>& a) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | a[i];
  }
  TdAttributes t;
  t.debug = v & 1;
  t.sept_ve_disable = (v >> 28) & 1;
  t.pks = (v >> 30) & 1;
  t.kl = (v >> 31) & 1;
  t.perfmon = (v >> 63) & 1;
  // Defined bits: 0, 28, 30, 31, 63; everything else is reserved in TDX 1.0/1.5.
  constexpr uint64_t kDefined = 1ull | (1ull << 28) | (1ull << 30) | (1ull << 31) | (1ull << 63);
  t.reserved_bits_set = (v & ~kDefined) != 0;
  return t;
}

Claims UnverifiedClaims(const Quote& q) {
  Claims c;
  c.quote_version = q.header.version;
  c.tee_type = q.header.tee_type;
  c.body_type = q.body_type;
  c.qe_vendor_id = q.header.qe_vendor_id;
  c.qe_svn = q.qe_report.isv_svn;
  c.td = q.td_report;
  c.enclave = q.enclave_report;
  return c;
}

namespace {

// AddVerified fills what verification added to a quote's own claims.
void AddVerified(const VerifiedQuote& v, Claims& c) {
  c.verified = true;
  const PckExtensions& p = v.pck();
  c.pck = PckIdentity{p.ppid, p.tcb_components, p.pce_svn, p.cpu_svn, p.pce_id, p.fmspc};
  c.collateral = v.dates();
}

}  // namespace

Claims ToClaims(const VerifiedQuote& v) {
  Claims c = UnverifiedClaims(v.quote());
  AddVerified(v, c);
  c.tcb = v.tcb();
  return c;
}

Claims ToClaims(VerifiedQuote&& v) {
  Claims c = UnverifiedClaims(v.quote());
  AddVerified(v, c);
  c.tcb = std::move(v.tcb_);
  return c;
}

}  // namespace attest::tdx
