#include "attest/tdx/pck.h"

#include <string>

#include "attest/core/byte_reader.h"
#include "attest/core/x509.h"

namespace attest::tdx {
namespace {

constexpr Reason kBad = reasons::kTdxPckExtensionInvalid;
constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagEnumerated = 0x0a;
constexpr uint8_t kTagSequence = 0x30;

// DER encoding of the arc 1.2.840.113741.1.13.1 (without tag and length).
constexpr uint8_t kSgxArc[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

struct Tlv {
  uint8_t tag = 0;
  ByteSpan value;
};

// ReadTlv reads one DER element with a single-byte tag and a definite length of up to 3 bytes.
Result<Tlv> ReadTlv(ByteReader& r) {
  Tlv t;
  ATTEST_ASSIGN_OR_RETURN(t.tag, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(uint8_t first, r.ReadU8());
  size_t len = first;
  if (first & 0x80) {
    const int n = first & 0x7f;
    if (n == 0 || n > 3) {
      return r.Error("unsupported DER length form");
    }
    len = 0;
    for (int i = 0; i < n; ++i) {
      ATTEST_ASSIGN_OR_RETURN(uint8_t b, r.ReadU8());
      len = (len << 8) | b;
    }
    if (len < 0x80) {
      return r.Error("non-minimal DER length");
    }
  }
  ATTEST_ASSIGN_OR_RETURN(t.value, r.ReadBytes(len));
  return t;
}

Result<Tlv> Expect(ByteReader& r, uint8_t tag, const char* what) {
  ATTEST_ASSIGN_OR_RETURN(Tlv t, ReadTlv(r));
  if (t.tag != tag) {
    return r.Error(std::string(what) + ": unexpected DER tag");
  }
  return t;
}

// SubArc returns the OID arcs after the SGX arc (e.g. {2, 17}) or an empty vector when oid is
// outside it. Every arc below the SGX arc is < 128, so each is one byte.
std::vector<uint8_t> SubArc(ByteSpan oid) {
  if (oid.size() <= sizeof(kSgxArc)) {
    return {};
  }
  for (size_t i = 0; i < sizeof(kSgxArc); ++i) {
    if (oid[i] != kSgxArc[i]) {
      return {};
    }
  }
  std::vector<uint8_t> arcs(oid.begin() + sizeof(kSgxArc), oid.end());
  for (uint8_t a : arcs) {
    if (a & 0x80) {
      return {};
    }
  }
  return arcs;
}

// SmallUnsigned decodes a non-negative DER INTEGER value that fits max.
Result<unsigned> SmallUnsigned(ByteSpan v, unsigned max, const ByteReader& r) {
  if (v.empty() || v.size() > 3 || (v[0] & 0x80)) {
    return r.Error("bad INTEGER");
  }
  unsigned out = 0;
  for (uint8_t b : v) {
    out = (out << 8) | b;
  }
  if (out > max) {
    return r.Error("INTEGER out of range");
  }
  return out;
}

template <size_t N>
Status CopyExact(ByteSpan v, std::array<uint8_t, N>& out, const ByteReader& r, const char* what) {
  if (v.size() != N) {
    return r.Error(std::string(what) + ": wrong length");
  }
  std::copy(v.begin(), v.end(), out.begin());
  return Status::Ok();
}

Status ParseTcb(ByteSpan der, PckExtensions& out) {
  ByteReader r(der, kBad, "pck tcb extension");
  uint32_t seen = 0;
  while (!r.empty()) {
    ATTEST_ASSIGN_OR_RETURN(Tlv pair, Expect(r, kTagSequence, "tcb entry"));
    ByteReader p(pair.value, kBad, "pck tcb entry");
    ATTEST_ASSIGN_OR_RETURN(Tlv oid, Expect(p, kTagOid, "tcb oid"));
    ATTEST_ASSIGN_OR_RETURN(Tlv value, ReadTlv(p));
    ATTEST_RETURN_IF_ERROR(p.ExpectEnd());
    const std::vector<uint8_t> arcs = SubArc(oid.value);
    if (arcs.size() != 2 || arcs[0] != 2 || arcs[1] < 1 || arcs[1] > 18) {
      continue;
    }
    const unsigned idx = arcs[1];
    if (seen & (1u << idx)) {
      return p.Error("duplicate TCB entry");
    }
    seen |= 1u << idx;
    if (idx <= 16) {
      if (value.tag != kTagInteger) {
        return p.Error("component SVN is not an INTEGER");
      }
      ATTEST_ASSIGN_OR_RETURN(unsigned svn, SmallUnsigned(value.value, 255, p));
      out.tcb_components[idx - 1] = static_cast<uint8_t>(svn);
    } else if (idx == 17) {
      if (value.tag != kTagInteger) {
        return p.Error("PCESVN is not an INTEGER");
      }
      ATTEST_ASSIGN_OR_RETURN(unsigned svn, SmallUnsigned(value.value, 65535, p));
      out.pce_svn = static_cast<uint16_t>(svn);
    } else {
      if (value.tag != kTagOctetString) {
        return p.Error("CPUSVN is not an OCTET STRING");
      }
      ATTEST_RETURN_IF_ERROR(CopyExact(value.value, out.cpu_svn, p, "CPUSVN"));
    }
  }
  if (seen != 0x7fffeu) {
    return r.Error("TCB entries .2.1 to .2.18 not all present");
  }
  return Status::Ok();
}

}  // namespace

Result<PckExtensions> ParseSgxExtensionValue(ByteSpan der) {
  ByteReader outer(der, kBad, "pck sgx extension");
  ATTEST_ASSIGN_OR_RETURN(Tlv seq, Expect(outer, kTagSequence, "sgx extension"));
  ATTEST_RETURN_IF_ERROR(outer.ExpectEnd());
  ByteReader r(seq.value, kBad, "pck sgx extension");
  PckExtensions out;
  uint32_t seen = 0;
  while (!r.empty()) {
    ATTEST_ASSIGN_OR_RETURN(Tlv pair, Expect(r, kTagSequence, "extension entry"));
    ByteReader p(pair.value, kBad, "pck sgx extension entry");
    ATTEST_ASSIGN_OR_RETURN(Tlv oid, Expect(p, kTagOid, "entry oid"));
    ATTEST_ASSIGN_OR_RETURN(Tlv value, ReadTlv(p));
    ATTEST_RETURN_IF_ERROR(p.ExpectEnd());
    const std::vector<uint8_t> arcs = SubArc(oid.value);
    if (arcs.size() != 1 || arcs[0] < 1 || arcs[0] > 5) {
      continue;  // later fields: not needed
    }
    const unsigned idx = arcs[0];
    if (seen & (1u << idx)) {
      return p.Error("duplicate SGX extension entry");
    }
    seen |= 1u << idx;
    switch (idx) {
      case 1:
        if (value.tag != kTagOctetString) {
          return p.Error("PPID is not an OCTET STRING");
        }
        ATTEST_RETURN_IF_ERROR(CopyExact(value.value, out.ppid, p, "PPID"));
        break;
      case 2:
        if (value.tag != kTagSequence) {
          return p.Error("TCB is not a SEQUENCE");
        }
        ATTEST_RETURN_IF_ERROR(ParseTcb(value.value, out));
        break;
      case 3:
        if (value.tag != kTagOctetString) {
          return p.Error("PCE-ID is not an OCTET STRING");
        }
        ATTEST_RETURN_IF_ERROR(CopyExact(value.value, out.pce_id, p, "PCE-ID"));
        break;
      case 4:
        if (value.tag != kTagOctetString) {
          return p.Error("FMSPC is not an OCTET STRING");
        }
        ATTEST_RETURN_IF_ERROR(CopyExact(value.value, out.fmspc, p, "FMSPC"));
        break;
      case 5:
        if (value.tag != kTagEnumerated) {
          return p.Error("SGX type is not ENUMERATED");
        }
        break;
    }
  }
  if (seen != 0x3eu) {
    return r.Error("SGX extension entries .1 to .5 not all present");
  }
  return out;
}

Result<PckExtensions> ParsePckExtensions(X509* cert) {
  bool found = false;
  auto value = ExtensionValue(cert, "1.2.840.113741.1.13.1", &found);
  if (!value.ok()) {
    return Status(kBad, "pck certificate: " + value.status().message());
  }
  if (!found) {
    return Status(kBad, "pck certificate: SGX extension 1.2.840.113741.1.13.1 missing");
  }
  return ParseSgxExtensionValue(*value);
}

}  // namespace attest::tdx
