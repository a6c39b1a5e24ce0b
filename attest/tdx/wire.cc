#include "attest/tdx/wire.h"

#include <string>

#include "attest/core/byte_reader.h"

namespace attest::tdx {
namespace {

constexpr Reason kBad = reasons::kTdxMalformedQuote;

// A certification data blob larger than this is not a PCK chain (three certificates are ~4 KB).
constexpr uint32_t kMaxCertDataBytes = 64 * 1024;

template <size_t N>
Status ReadInto(ByteReader& r, std::array<uint8_t, N>& out) {
  ATTEST_ASSIGN_OR_RETURN(out, r.template ReadArray<N>());
  return Status::Ok();
}

Status ParseEnclaveReportFrom(ByteReader& r, EnclaveReport& e) {
  // SGX REPORT body, SDM vol. 3D table 38-21; reserved ranges are skipped, not required zero,
  // because later SGX revisions assign meaning to parts of them.
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.cpu_svn));
  ATTEST_ASSIGN_OR_RETURN(e.misc_select, r.ReadU32Le());
  ATTEST_RETURN_IF_ERROR(r.Skip(12));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.isv_ext_prod_id));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.attributes));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.mr_enclave));
  ATTEST_RETURN_IF_ERROR(r.Skip(32));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.mr_signer));
  ATTEST_RETURN_IF_ERROR(r.Skip(32));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.config_id));
  ATTEST_ASSIGN_OR_RETURN(e.isv_prod_id, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(e.isv_svn, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(e.config_svn, r.ReadU16Le());
  ATTEST_RETURN_IF_ERROR(r.Skip(42));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.isv_family_id));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, e.report_data));
  return Status::Ok();
}

Status ParseTdReportFrom(ByteReader& r, bool is_1_5, TdReport& t) {
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.tee_tcb_svn));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_seam));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_signer_seam));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.seam_attributes));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.td_attributes));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.xfam));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_td));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_config_id));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_owner));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_owner_config));
  for (Bytes48& rtmr : t.rtmr) {
    ATTEST_RETURN_IF_ERROR(ReadInto(r, rtmr));
  }
  ATTEST_RETURN_IF_ERROR(ReadInto(r, t.report_data));
  t.is_1_5 = is_1_5;
  if (is_1_5) {
    ATTEST_RETURN_IF_ERROR(ReadInto(r, t.tee_tcb_svn_2));
    ATTEST_RETURN_IF_ERROR(ReadInto(r, t.mr_service_td));
  }
  return Status::Ok();
}

// ParseQeBlock reads QE report (384) | QE report signature (64) | u16 auth size | auth data.
Status ParseQeBlock(ByteReader& r, Quote& q) {
  ATTEST_ASSIGN_OR_RETURN(ByteSpan qe_bytes, r.ReadBytes(kEnclaveReportSize));
  q.qe_report_bytes.assign(qe_bytes.begin(), qe_bytes.end());
  ByteReader qe(qe_bytes, kBad, "qe report");
  ATTEST_RETURN_IF_ERROR(ParseEnclaveReportFrom(qe, q.qe_report));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, q.qe_report_signature));
  ATTEST_ASSIGN_OR_RETURN(uint16_t auth_size, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(ByteSpan auth, r.ReadBytes(auth_size));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  return Status::Ok();
}

// ParsePckChainCertData reads a certification data header that must be type 5 and takes its body.
Status ParsePckChainCertData(ByteReader& r, Quote& q) {
  ATTEST_ASSIGN_OR_RETURN(uint16_t type, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
  if (type != kCertDataPckChain) {
    return Status(reasons::kTdxCertDataUnsupported, "quote: certification data type " +
                                                        std::to_string(type) +
                                                        ", want 5 (PCK certificate chain)");
  }
  if (size == 0 || size > kMaxCertDataBytes) {
    return r.Error("certification data size " + std::to_string(size) + " out of range");
  }
  ATTEST_ASSIGN_OR_RETURN(ByteSpan body, r.ReadBytes(size));
  q.pck_chain_pem.assign(body.begin(), body.end());
  return Status::Ok();
}

}  // namespace

Result<EnclaveReport> ParseEnclaveReport(ByteSpan bytes) {
  ByteReader r(bytes, kBad, "enclave report");
  EnclaveReport e;
  ATTEST_RETURN_IF_ERROR(ParseEnclaveReportFrom(r, e));
  ATTEST_RETURN_IF_ERROR(r.ExpectEnd());
  return e;
}

Result<Quote> ParseQuote(ByteSpan bytes) {
  ByteReader r(bytes, kBad, "quote");
  Quote q;
  QuoteHeader& h = q.header;
  ATTEST_ASSIGN_OR_RETURN(h.version, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(h.attestation_key_type, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(h.tee_type, r.ReadU32Le());
  if (h.version != 3 && h.version != 4 && h.version != 5) {
    return Status(reasons::kTdxUnsupportedQuote,
                  "quote: version " + std::to_string(h.version) + ", want 3, 4 or 5");
  }
  if (h.tee_type != kTeeTypeSgx && h.tee_type != kTeeTypeTdx) {
    return Status(reasons::kTdxUnsupportedQuote,
                  "quote: tee_type " + std::to_string(h.tee_type) + ", want 0 (SGX) or 0x81 (TDX)");
  }
  if ((h.version == 3) != (h.tee_type == kTeeTypeSgx)) {
    return Status(reasons::kTdxUnsupportedQuote, "quote: version " + std::to_string(h.version) +
                                                     " does not go with tee_type " +
                                                     std::to_string(h.tee_type));
  }
  if (h.attestation_key_type != kAttestationKeyEcdsaP256) {
    return Status(reasons::kTdxUnsupportedQuote, "quote: attestation key type " +
                                                     std::to_string(h.attestation_key_type) +
                                                     ", want 2 (ECDSA P-256)");
  }
  ATTEST_ASSIGN_OR_RETURN(h.qe_svn, r.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(h.pce_svn, r.ReadU16Le());
  ATTEST_RETURN_IF_ERROR(ReadInto(r, h.qe_vendor_id));
  ATTEST_RETURN_IF_ERROR(ReadInto(r, h.user_data));

  size_t body_size = 0;
  if (h.version == 3) {
    q.body_type = 1;
    body_size = kEnclaveReportSize;
  } else if (h.version == 4) {
    q.body_type = 2;
    body_size = kTdReport10Size;
  } else {
    ATTEST_ASSIGN_OR_RETURN(q.body_type, r.ReadU16Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
    // A v5 TDX quote carries a TD report; SGX bodies (type 1) in v5 are not issued for TDX.
    if (q.body_type == 2) {
      body_size = kTdReport10Size;
    } else if (q.body_type == 3) {
      body_size = kTdReport15Size;
    } else {
      return Status(reasons::kTdxUnsupportedQuote,
                    "quote v5: body type " + std::to_string(q.body_type) + ", want 2 or 3");
    }
    if (size != body_size) {
      return r.Error("v5 body size " + std::to_string(size) + ", want " +
                     std::to_string(body_size));
    }
  }
  ATTEST_ASSIGN_OR_RETURN(ByteReader body, r.SubReader(body_size));
  if (q.body_type == 1) {
    EnclaveReport e;
    ATTEST_RETURN_IF_ERROR(ParseEnclaveReportFrom(body, e));
    q.enclave_report = e;
  } else {
    TdReport t;
    ATTEST_RETURN_IF_ERROR(ParseTdReportFrom(body, q.body_type == 3, t));
    q.td_report = t;
  }
  ATTEST_RETURN_IF_ERROR(body.ExpectEnd());
  const size_t signed_size = r.offset();
  q.signed_data.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(signed_size));

  ATTEST_ASSIGN_OR_RETURN(uint32_t sig_size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteReader sig, r.SubReader(sig_size));
  ATTEST_RETURN_IF_ERROR(ReadInto(sig, q.signature));
  ATTEST_RETURN_IF_ERROR(ReadInto(sig, q.attestation_key));
  if (h.version == 3) {
    ATTEST_RETURN_IF_ERROR(ParseQeBlock(sig, q));
    ATTEST_RETURN_IF_ERROR(ParsePckChainCertData(sig, q));
  } else {
    ATTEST_ASSIGN_OR_RETURN(uint16_t type, sig.ReadU16Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t size, sig.ReadU32Le());
    if (type != kCertDataQeReport) {
      return Status(reasons::kTdxCertDataUnsupported,
                    "quote: certification data type " + std::to_string(type) +
                        ", want 6 (QE report certification data)");
    }
    ATTEST_ASSIGN_OR_RETURN(ByteReader inner, sig.SubReader(size));
    ATTEST_RETURN_IF_ERROR(ParseQeBlock(inner, q));
    ATTEST_RETURN_IF_ERROR(ParsePckChainCertData(inner, q));
    ATTEST_RETURN_IF_ERROR(inner.ExpectEnd());
  }
  ATTEST_RETURN_IF_ERROR(sig.ExpectEnd());

  // Quote-generation APIs hand out fixed-size buffers; what follows the quote must be padding.
  q.trailing_padding = r.remaining();
  if (q.trailing_padding > 0) {
    ATTEST_RETURN_IF_ERROR(r.SkipZeros(q.trailing_padding, "padding after the quote"));
  }
  return q;
}

}  // namespace attest::tdx
