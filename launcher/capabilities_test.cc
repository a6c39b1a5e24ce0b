#include "launcher/capabilities.h"

#include <gtest/gtest.h>

#include "launcher/xml.h"

namespace attest::launcher {
namespace {

// The shape of this machine's libvirt 9.0 answer (PLATFORM.md §3): no SEV.
constexpr char kNoTee[] = R"(<domainCapabilities>
  <path>/usr/bin/qemu-system-x86_64</path><domain>kvm</domain><machine>pc-q35-7.2</machine>
  <arch>x86_64</arch>
  <os supported='yes'><loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>
    <value>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</value></loader></os>
  <devices><tpm supported='yes'/></devices>
  <features><sev supported='no'/><sgx supported='no'/></features>
</domainCapabilities>)";

// An SEV/SEV-ES host on libvirt 8.x.
constexpr char kSevEs[] = R"(<domainCapabilities><domain>kvm</domain><arch>x86_64</arch>
  <features><sev supported='yes'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits>
    <maxGuests>15</maxGuests><maxESGuests>494</maxESGuests></sev></features>
</domainCapabilities>)";

// An SNP host on libvirt >= 10.5: SNP only appears in the launchSecurity enum.
constexpr char kSnp[] = R"(<domainCapabilities><domain>kvm</domain>
  <features><sev supported='yes'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits>
    <maxGuests>0</maxGuests><maxESGuests>0</maxESGuests><cpu0Id>AAEC</cpu0Id></sev>
    <launchSecurity supported='yes'><enum name='sectype'><value>sev</value><value>sev-snp</value>
    </enum></launchSecurity></features>
</domainCapabilities>)";

constexpr char kTdx[] = R"(<domainCapabilities><domain>kvm</domain>
  <features><sev supported='no'/><tdx supported='yes'/>
    <launchSecurity supported='yes'><enum name='sectype'><value>tdx</value></enum></launchSecurity>
  </features></domainCapabilities>)";

TEST(Capabilities, ParsesEachShape) {
  auto none = ParseDomainCapabilities(kNoTee);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->sev.supported);
  EXPECT_EQ(none->machine, "pc-q35-7.2");
  EXPECT_EQ(none->loaders.size(), 2u);
  EXPECT_TRUE(none->tpm);

  auto es = ParseDomainCapabilities(kSevEs);
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  EXPECT_TRUE(es->sev.supported);
  EXPECT_EQ(es->sev.cbitpos, 51u);
  EXPECT_EQ(es->sev.reduced_phys_bits, 1u);
  EXPECT_EQ(es->sev.max_guests, 15u);
  EXPECT_EQ(es->sev.max_es_guests, 494u);

  auto snp = ParseDomainCapabilities(kSnp);
  ASSERT_TRUE(snp.ok());
  EXPECT_EQ(snp->launch_security_types, (std::vector<std::string>{"sev", "sev-snp"}));
  EXPECT_EQ(snp->sev.cpu0_id, "AAEC");

  auto tdx = ParseDomainCapabilities(kTdx);
  ASSERT_TRUE(tdx.ok());
  EXPECT_TRUE(tdx->tdx);
}

TEST(Capabilities, TeeSupportMatrix) {
  struct Case {
    const char* caps;
    TeeType tee;
    bool ok;
  };
  const Case cases[] = {
      {kNoTee, TeeType::kNone, true},   {kNoTee, TeeType::kSev, false},
      {kNoTee, TeeType::kSevEs, false}, {kNoTee, TeeType::kSevSnp, false},
      {kNoTee, TeeType::kTdx, false},   {kSevEs, TeeType::kSev, true},
      {kSevEs, TeeType::kSevEs, true},  {kSevEs, TeeType::kSevSnp, false},
      {kSevEs, TeeType::kTdx, false},   {kSnp, TeeType::kSevSnp, true},
      {kSnp, TeeType::kSev, false},  // maxGuests 0: every ASID went to SNP
      {kSnp, TeeType::kSevEs, false},   {kTdx, TeeType::kTdx, true},
      {kTdx, TeeType::kSev, false},     {kTdx, TeeType::kSevSnp, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(TeeTypeName(c.tee)) + " on " + std::string(c.caps).substr(0, 60));
    auto caps = ParseDomainCapabilities(c.caps);
    ASSERT_TRUE(caps.ok());
    Status s = CheckTeeSupported(*caps, c.tee);
    EXPECT_EQ(s.ok(), c.ok) << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.reason_id(), "launcher.tee_unavailable");
    }
  }
}

TEST(Capabilities, RejectsMalformed) {
  const char* bad[] = {
      "",
      "<domainCapabilities>",
      "<capabilities/>",
      "<domainCapabilities><features><sev supported='yes'/></features></domainCapabilities>",
      "<domainCapabilities><features><sev supported='yes'><cbitpos>x</cbitpos>"
      "<reducedPhysBits>1</reducedPhysBits></sev></features></domainCapabilities>",
      "<domainCapabilities><features><sev supported='yes'><cbitpos>99</cbitpos>"
      "<reducedPhysBits>1</reducedPhysBits></sev></features></domainCapabilities>",
      "<domainCapabilities><features><sev supported='yes'><cbitpos>51</cbitpos>"
      "<reducedPhysBits>1</reducedPhysBits><maxGuests>99999999999</maxGuests></sev></features>"
      "</domainCapabilities>",
      "<!DOCTYPE d [<!ENTITY x 'y'>]><domainCapabilities>&x;</domainCapabilities>",
  };
  for (const char* b : bad) {
    SCOPED_TRACE(b);
    auto r = ParseDomainCapabilities(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "launcher.capabilities_malformed");
  }
  std::string huge =
      "<domainCapabilities>" + std::string(kMaxParsedXmlBytes, ' ') + "</domainCapabilities>";
  EXPECT_EQ(ParseDomainCapabilities(huge).status().reason_id(), "launcher.capabilities_malformed");
  EXPECT_EQ(ParseHostCapabilities("<domainCapabilities/>").status().reason_id(),
            "launcher.capabilities_malformed");
}

TEST(Capabilities, SecurityDriver) {
  auto dac = ParseHostCapabilities(
      "<capabilities><host><secmodel><model>none</model><doi>0</doi></secmodel>"
      "<secmodel><model>dac</model><doi>0</doi></secmodel></host></capabilities>");
  ASSERT_TRUE(dac.ok());
  EXPECT_EQ(dac->security_models, (std::vector<std::string>{"none", "dac"}));
  EXPECT_EQ(ChooseSecLabelModel(*dac, false).status().reason_id(),
            "launcher.security_driver_unavailable");
  EXPECT_EQ(ChooseSecLabelModel(*dac, true).value(), SecLabelModel::kDac);
  auto sel = ParseHostCapabilities(
      "<capabilities><host><secmodel><model>selinux</model></secmodel>"
      "<secmodel><model>dac</model></secmodel></host></capabilities>");
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(ChooseSecLabelModel(*sel, false).value(), SecLabelModel::kSelinux);
  auto aa = ParseHostCapabilities(
      "<capabilities><host><secmodel><model>apparmor</model></secmodel></host></capabilities>");
  EXPECT_EQ(ChooseSecLabelModel(*aa, false).value(), SecLabelModel::kApparmor);
}

TEST(Capabilities, ApplyCopiesHostValuesAndRefuses) {
  auto caps = ParseDomainCapabilities(kSevEs);
  auto host = ParseHostCapabilities(
      "<capabilities><host><secmodel><model>selinux</model></secmodel></host></capabilities>");
  ASSERT_TRUE(caps.ok() && host.ok());
  LaunchSpec spec;
  spec.tee = TeeType::kSevEs;
  spec.seclabel.model = SecLabelModel::kSelinux;
  ASSERT_TRUE(ApplyHostCapabilities(*caps, *host, spec).ok());
  EXPECT_EQ(spec.sev.cbitpos, 51u);
  EXPECT_EQ(spec.sev.reduced_phys_bits, 1u);
  spec.seclabel.model = SecLabelModel::kApparmor;
  EXPECT_EQ(ApplyHostCapabilities(*caps, *host, spec).reason_id(),
            "launcher.security_driver_unavailable");
  spec.seclabel.model = SecLabelModel::kSelinux;
  spec.tee = TeeType::kTdx;
  EXPECT_EQ(ApplyHostCapabilities(*caps, *host, spec).reason_id(), "launcher.tee_unavailable");
}

}  // namespace
}  // namespace attest::launcher
