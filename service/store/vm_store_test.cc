// VmStore: VM records, their volumes and network attachments.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, VmsNeedTheCallersLiveVolumes) {
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-a1"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-a2"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(b_, MakeVolume("vol-b1"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-gone"), T0()).ok());
  ASSERT_TRUE(store_->DeleteVolume(a_, "vol-gone", T0()).ok());

  auto vm = store_->CreateVm(a_, MakeVm("vm-1", {"vol-a2", "vol-a1"}), T0());
  ASSERT_TRUE(vm.ok()) << vm.status().ToString();
  auto got = store_->GetVm(a_, "vm-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->volume_ids, (std::vector<std::string>{"vol-a2", "vol-a1"}));  // order kept
  EXPECT_EQ(got->tenant_id, a_);
  EXPECT_EQ(got->policy_version, 2);
  EXPECT_EQ(got->ticket, Bytes({'{', '}'}));
  EXPECT_EQ(got->ticket_sha384, std::string(96, 'c'));
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_EQ(store_->LookupVm("vm-1")->tenant_id, a_);
  ASSERT_TRUE(store_->CreateVm(a_, MakeVm("vm-0", {"vol-a1"}), T0()).ok());
  auto listed = store_->ListVms(a_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "vm-0");  // by id
  EXPECT_EQ((*listed)[1].volume_ids, (std::vector<std::string>{"vol-a2", "vol-a1"}));
  EXPECT_TRUE(store_->ListVms(b_)->empty());

  Vm no_ticket = MakeVm("vm-x", {});
  no_ticket.ticket.clear();
  const struct {
    std::string name;
    Vm vm;
    std::string want;
  } bad[] = {
      {"other tenant's volume", MakeVm("vm-2", {"vol-a1", "vol-b1"}), "store.not_found"},
      {"deleted volume", MakeVm("vm-3", {"vol-gone"}), "store.not_found"},
      {"unknown volume", MakeVm("vm-4", {"vol-none"}), "store.not_found"},
      {"volume twice", MakeVm("vm-5", {"vol-a1", "vol-a1"}), "store.invalid_argument"},
      {"no ticket", no_ticket, "store.invalid_argument"},
      {"taken id", MakeVm("vm-1", {}), "store.already_exists"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVm(a_, c.vm, T0()).status().reason_id(), c.want);
    if (c.want == "store.not_found") {
      // Nothing half-made: the VM id stays free.
      EXPECT_EQ(store_->LookupVm(c.vm.id).status().reason_id(), "store.not_found");
    }
  }
  // B cannot see, delete or lock out A's VM; the answers match a VM nobody has.
  EXPECT_EQ(store_->GetVm(b_, "vm-1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVm(b_, "vm-1", T0()).reason_id(), "store.not_found");
  std::string missing = store_->GetVm(b_, "vm-none").status().message();
  missing.replace(missing.find("vm-none"), 7, "vm-1");
  EXPECT_EQ(store_->GetVm(b_, "vm-1").status().message(), missing);
  EXPECT_EQ(store_->GetVolume(b_, "vol-a1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVolume(b_, "vol-a1", T0()).reason_id(), "store.not_found");
  EXPECT_TRUE(store_->ListVolumes(b_)->size() == 1u);
}

// A VM created from a boot image keeps the image's name and the measurement its launch must show.
TEST_P(StoreTest, VmsKeepTheirExpectedMeasurement) {
  BootImage debian;
  debian.id = "bi-debian";
  debian.name = "debian";
  debian.kernel_path = "/srv/images/vmlinuz";
  debian.kernel_sha256 = std::string(64, 'a');
  debian.kernel_sha384 = std::string(96, 'a');
  debian.kernel_size = 4096;
  debian.published = true;
  ASSERT_TRUE(store_->CreateBootImage(a_, debian, T0(), nullptr).ok());
  Vm tdx = MakeVm("vm-tdx", {});
  tdx.boot_image = "debian";
  tdx.expected = {std::string(96, 'a'), {std::string(96, 'b'), std::string(96, 'c'), "d"}};
  tdx.memory_mib = 4096;
  tdx.vcpus = 3;
  Vm snp = MakeVm("vm-snp", {});
  snp.boot_image = "debian";
  snp.expected.measurement = std::string(96, 'e');
  Vm plain = MakeVm("vm-plain", {});
  for (const Vm* vm : {&tdx, &snp, &plain}) {
    SCOPED_TRACE(vm->id);
    ASSERT_TRUE(store_->CreateVm(a_, *vm, T0()).ok());
    auto got = store_->GetVm(a_, vm->id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->boot_image, vm->boot_image);
    EXPECT_EQ(got->expected, vm->expected);
    EXPECT_EQ(got->memory_mib, vm->memory_mib);
    EXPECT_EQ(got->vcpus, vm->vcpus);
    EXPECT_EQ(store_->LookupVm(vm->id)->expected, vm->expected);  // the release path's read
  }
  EXPECT_TRUE(store_->GetVm(a_, "vm-plain")->expected.empty());

  Vm rtmrs_alone = MakeVm("vm-1", {});
  rtmrs_alone.expected.rtmrs = {std::string(96, 'b')};
  Vm empty_rtmr = MakeVm("vm-2", {});
  empty_rtmr.expected = {std::string(96, 'a'), {""}};
  Vm comma = MakeVm("vm-3", {});
  comma.expected = {std::string(96, 'a'), {"ab,cd"}};
  for (const Vm* vm : {&rtmrs_alone, &empty_rtmr, &comma}) {
    SCOPED_TRACE(vm->id);
    EXPECT_EQ(store_->CreateVm(a_, *vm, T0()).status().reason_id(), "store.invalid_argument");
    EXPECT_EQ(store_->LookupVm(vm->id).status().reason_id(), "store.not_found");
  }
}

TEST_P(StoreTest, DeletedVmEndsReleases) {
  ASSERT_TRUE(store_->CreateVm(a_, MakeVm("vm-1", {}), T0()).ok());
  const Nonce n = store_->IssueNonce(a_, "vm-1", seconds(60), T0()).value();
  const Nonce other = store_->IssueNonce(a_, "vm-2", seconds(60), T0()).value();
  ASSERT_TRUE(store_->DeleteVm(a_, "vm-1", T0() + seconds(1)).ok());
  EXPECT_EQ(store_->DeleteVm(a_, "vm-1", T0()).reason_id(), "store.not_found");
  auto vm = store_->LookupVm("vm-1");
  ASSERT_TRUE(vm.ok());
  ASSERT_TRUE(vm->deleted_at.has_value());
  EXPECT_EQ(*vm->deleted_at, T0() + seconds(1));
  EXPECT_TRUE(store_->GetVm(a_, "vm-1")->deleted_at.has_value());
  EXPECT_TRUE(store_->ListVms(a_)->empty());  // the list shows live VMs only
  // The outstanding challenge of the deleted VM is spent; another VM's is not.
  EXPECT_EQ(store_->ConsumeNonce(a_, "vm-1", n.value, T0() + seconds(2)).reason_id(),
            "store.nonce_rejected");
  EXPECT_TRUE(store_->ConsumeNonce(a_, "vm-2", other.value, T0() + seconds(2)).ok());
  EXPECT_EQ(store_->LookupVm("vm-none").status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, VmNetworkingHoldsOneAddressPerNetAndFreesItOnDelete) {
  ASSERT_TRUE(store_->PutNet(a_, "lan", "net-a", "10.0.0.0/24", false, T0()).ok());
  ASSERT_TRUE(store_->PutNet(b_, "lan", "net-b", "10.0.0.0/24", false, T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "web", "sg-a", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(b_, "web", "sg-b", "", "[]", T0()).ok());
  auto with_net = [](Vm vm, std::vector<VmInterface> itfs, std::vector<std::string> groups) {
    vm.interfaces = std::move(itfs);
    vm.security_group_ids = std::move(groups);
    return vm;
  };
  auto vm1 =
      store_->CreateVm(a_, with_net(MakeVm("vm-1", {}), {{"net-a", "10.0.0.2"}}, {"sg-a"}), T0());
  ASSERT_TRUE(vm1.ok()) << vm1.status().ToString();
  auto got = store_->GetVm(a_, "vm-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->interfaces, (std::vector<VmInterface>{{"net-a", "10.0.0.2"}}));
  EXPECT_EQ(got->security_group_ids, std::vector<std::string>{"sg-a"});
  EXPECT_EQ(got->domain, "");

  const struct {
    std::string name;
    Vm vm;
    std::string want;
  } refused[] = {
      {"address taken", with_net(MakeVm("vm-2", {}), {{"net-a", "10.0.0.2"}}, {}),
       "store.already_exists"},
      {"another tenant's net", with_net(MakeVm("vm-2", {}), {{"net-b", "10.0.0.3"}}, {}),
       "store.not_found"},
      {"unknown net", with_net(MakeVm("vm-2", {}), {{"net-x", "10.0.0.3"}}, {}), "store.not_found"},
      {"another tenant's group", with_net(MakeVm("vm-2", {}), {}, {"sg-b"}), "store.not_found"},
      {"group twice", with_net(MakeVm("vm-2", {}), {}, {"sg-a", "sg-a"}), "store.invalid_argument"},
      {"no address", with_net(MakeVm("vm-2", {}), {{"net-a", ""}}, {}), "store.invalid_argument"},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVm(a_, c.vm, T0()).status().reason_id(), c.want);
    // Nothing of the refused VM was written.
    EXPECT_EQ(store_->GetVm(a_, "vm-2").status().reason_id(), "store.not_found");
  }
  // The same address on another tenant's net (overlapping CIDRs) is no conflict.
  EXPECT_TRUE(
      store_->CreateVm(b_, with_net(MakeVm("vm-b", {}), {{"net-b", "10.0.0.2"}}, {"sg-b"}), T0())
          .ok());
  EXPECT_EQ(*store_->ListNetAddresses("net-a"), std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(*store_->ListGroupMemberAddresses(a_, "sg-a"), std::vector<std::string>{"10.0.0.2"});
  EXPECT_TRUE(store_->ListGroupMemberAddresses(a_, "sg-b")->empty());  // not the caller's

  EXPECT_TRUE(store_->SetVmDomain(a_, "vm-1", "attest-vm-1").ok());
  EXPECT_EQ(store_->GetVm(a_, "vm-1")->domain, "attest-vm-1");
  EXPECT_EQ(store_->SetVmDomain(b_, "vm-1", "x").reason_id(), "store.not_found");

  ASSERT_TRUE(store_->DeleteVm(a_, "vm-1", T0()).ok());
  EXPECT_TRUE(store_->ListNetAddresses("net-a")->empty());
  EXPECT_TRUE(store_->ListGroupMemberAddresses(a_, "sg-a")->empty());
  EXPECT_EQ(store_->SetVmDomain(a_, "vm-1", "x").reason_id(), "store.not_found");
  EXPECT_TRUE(
      store_->CreateVm(a_, with_net(MakeVm("vm-3", {}), {{"net-a", "10.0.0.2"}}, {}), T0()).ok());
}

}  // namespace
}  // namespace attest::service::store
