#include "attest/snp/endorsement.h"

#include <openssl/asn1.h>

#include "attest/core/x509.h"

namespace attest::snp {
namespace {

constexpr char kOidProductName[] = "1.3.6.1.4.1.3704.1.2";
constexpr char kOidBootloader[] = "1.3.6.1.4.1.3704.1.3.1";
constexpr char kOidTee[] = "1.3.6.1.4.1.3704.1.3.2";
constexpr char kOidSnp[] = "1.3.6.1.4.1.3704.1.3.3";
constexpr char kOidSpl4[] = "1.3.6.1.4.1.3704.1.3.4";
constexpr char kOidSpl5[] = "1.3.6.1.4.1.3704.1.3.5";
constexpr char kOidSpl6[] = "1.3.6.1.4.1.3704.1.3.6";
constexpr char kOidSpl7[] = "1.3.6.1.4.1.3704.1.3.7";
constexpr char kOidMicrocode[] = "1.3.6.1.4.1.3704.1.3.8";
constexpr char kOidFmc[] = "1.3.6.1.4.1.3704.1.3.9";
constexpr char kOidHwId[] = "1.3.6.1.4.1.3704.1.4";
constexpr char kOidCspId[] = "1.3.6.1.4.1.3704.1.5";

Status Invalid(std::string_view oid, std::string_view why) {
  return Status(reasons::kSnpCertExtension,
                "endorsement certificate: extension " + std::string(oid) + ": " + std::string(why));
}

// ReadSpl reads an SPL extension (a DER INTEGER 0..255). Absent: 0 unless required.
Result<uint8_t> ReadSpl(X509* cert, const char* oid, bool required) {
  bool found = false;
  ATTEST_ASSIGN_OR_RETURN(Bytes value, ExtensionValue(cert, oid, &found));
  if (!found) {
    if (required) {
      return Invalid(oid, "missing");
    }
    return uint8_t{0};
  }
  const uint8_t* p = value.data();
  OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free> integer(
      d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(value.size())));
  if (!integer || p != value.data() + value.size()) {
    return Invalid(oid, "not a DER INTEGER");
  }
  int64_t v = -1;
  if (ASN1_INTEGER_get_int64(&v, integer.get()) != 1 || v < 0 || v > 255) {
    return Invalid(oid, "not in 0..255");
  }
  return static_cast<uint8_t>(v);
}

// ReadIa5 reads a DER IA5String extension ("" when absent).
Result<std::string> ReadIa5(X509* cert, const char* oid) {
  bool found = false;
  ATTEST_ASSIGN_OR_RETURN(Bytes value, ExtensionValue(cert, oid, &found));
  if (!found) {
    return std::string();
  }
  const uint8_t* p = value.data();
  OsslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free> text(
      d2i_ASN1_IA5STRING(nullptr, &p, static_cast<long>(value.size())));
  if (!text || p != value.data() + value.size()) {
    return Invalid(oid, "not a DER IA5String");
  }
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text.get())),
                     static_cast<size_t>(ASN1_STRING_length(text.get())));
}

// ReadHwId accepts the raw chip id bytes (as KDS issues them) or the same wrapped in a DER OCTET
// STRING (older tooling); either way 64 bytes, or 8 for Turin.
Result<Bytes> ReadHwId(X509* cert, Product product) {
  bool found = false;
  ATTEST_ASSIGN_OR_RETURN(Bytes value, ExtensionValue(cert, kOidHwId, &found));
  if (!found) {
    return Invalid(kOidHwId, "missing hwID on a VCEK");
  }
  const size_t want = product == Product::kTurin ? 8 : 64;
  if (value.size() == want) {
    return value;
  }
  if (value.size() == want + 2 && value[0] == V_ASN1_OCTET_STRING && value[1] == want) {
    return Bytes(value.begin() + 2, value.end());
  }
  return Invalid(kOidHwId, std::to_string(value.size()) + " bytes, want " + std::to_string(want));
}

}  // namespace

std::string_view EndorsementKindName(EndorsementKind kind) {
  return kind == EndorsementKind::kVcek ? "vcek" : "vlek";
}

Result<EndorsementInfo> ParseEndorsementCert(X509* cert) {
  EndorsementInfo info;
  const std::string subject = SubjectCommonName(cert);
  const std::string issuer = IssuerCommonName(cert);
  std::string product_part;
  if (subject == "SEV-VCEK" && issuer.rfind("SEV-", 0) == 0 && issuer.rfind("SEV-VLEK-", 0) != 0) {
    info.kind = EndorsementKind::kVcek;
    product_part = issuer.substr(4);
  } else if (subject == "SEV-VLEK" && issuer.rfind("SEV-VLEK-", 0) == 0) {
    info.kind = EndorsementKind::kVlek;
    product_part = issuer.substr(9);
  } else {
    return Status(reasons::kSnpUnknownProduct, "endorsement certificate: subject \"" + subject +
                                                   "\" issuer \"" + issuer +
                                                   "\" is not an AMD VCEK or VLEK");
  }
  const auto product = ProductFromName(product_part);
  if (!product) {
    return Status(reasons::kSnpUnknownProduct,
                  "endorsement certificate: unknown product \"" + product_part + "\"");
  }
  info.product = *product;
  ATTEST_ASSIGN_OR_RETURN(info.product_name, ReadIa5(cert, kOidProductName));
  if (!info.product_name.empty() && info.product_name.rfind(product_part, 0) != 0) {
    return Status(reasons::kSnpProductMismatch, "endorsement certificate: productName \"" +
                                                    info.product_name + "\" but issuer is " +
                                                    issuer);
  }
  ATTEST_ASSIGN_OR_RETURN(info.tcb.bootloader, ReadSpl(cert, kOidBootloader, true));
  ATTEST_ASSIGN_OR_RETURN(info.tcb.tee, ReadSpl(cert, kOidTee, true));
  ATTEST_ASSIGN_OR_RETURN(info.tcb.snp, ReadSpl(cert, kOidSnp, true));
  ATTEST_ASSIGN_OR_RETURN(info.tcb.microcode, ReadSpl(cert, kOidMicrocode, true));
  if (info.product == Product::kTurin) {
    ATTEST_ASSIGN_OR_RETURN(uint8_t fmc, ReadSpl(cert, kOidFmc, true));
    info.tcb.fmc = fmc;
    // Turin TCB bytes 4..6 are reserved; spl_5..spl_7 fill them when present.
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[0], ReadSpl(cert, kOidSpl5, false));
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[1], ReadSpl(cert, kOidSpl6, false));
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[2], ReadSpl(cert, kOidSpl7, false));
  } else {
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[0], ReadSpl(cert, kOidSpl4, false));
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[1], ReadSpl(cert, kOidSpl5, false));
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[2], ReadSpl(cert, kOidSpl6, false));
    ATTEST_ASSIGN_OR_RETURN(info.tcb.reserved[3], ReadSpl(cert, kOidSpl7, false));
  }
  if (info.kind == EndorsementKind::kVcek) {
    ATTEST_ASSIGN_OR_RETURN(info.hw_id, ReadHwId(cert, info.product));
  } else {
    ATTEST_ASSIGN_OR_RETURN(info.csp_id, ReadIa5(cert, kOidCspId));
  }
  return info;
}

}  // namespace attest::snp
