// The retention job takes a tenant's rules from its governed "retention" document once prod runs
// it (drafted, approved by another person, promoted with a release manager's approval), and
// people need retention.manage for holds. People and roles come from the directory and
// AccessControl, as in production.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/documents/kind_registry.h"
#include "governance/documents/lifecycle.h"
#include "governance/retention.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

namespace docs = documents;
const TenantId kA("acme");

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/" + relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RetentionDocumentTest : public testing::GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The retention kind's validator (kind_registry.h).
    docs::RegisterDocumentValidator(docs::DocumentKind::kRetention, &CheckRetentionRules);
    access_ = std::make_unique<AccessControl>(*store_, clock_);
    CreateTenant(kA);
    InTxn([](store::Txn& txn) -> Status {
      // release_manager (decides promotions) is one of the seeded default approver roles.
      return SeedDefaultRoles(txn, kA);
    });
    AddUser("alice@acme.test", {"process_owner"});
    AddUser("bob@acme.test", {"process_owner"});
    AddUser("rita@acme.test", {"release_manager"});
    AddUser("tina@acme.test", {"tenant_admin"});
    AddUser("vic@acme.test", {"viewer"});
  }

  void AddUser(const std::string& email, const std::vector<std::string>& roles) {
    InTxn([&](store::Txn& txn) -> Status {
      NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(std::string id, CreateUser(txn, PartnerScope::ForSystem("test"), u));
      for (const auto& role : roles) {
        GOVFLOW_RETURN_IF_ERROR(GrantTenantRole(txn, TenantScope::ForSystem(kA, "test"), id, role));
      }
      return Status::Ok();
    });
  }

  Result<TenantScope> Authorize(const std::string& email, std::string_view permission) {
    GOVFLOW_ASSIGN_OR_RETURN(Principal p, access_->PrincipalForEmail(email));
    return access_->Authorize(p, kA, permission);
  }
  TenantScope Scope(const std::string& email, std::string_view permission = perm::kDocumentsRead) {
    auto scope = Authorize(email, permission);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    return scope.ok() ? *scope : TenantScope::ForSystem(kA, "broken-test");
  }

  // alice drafts and submits, bob approves, alice publishes to dev and promotes to prod with
  // rita's approvals.
  void PublishToProd(const std::string& yaml) {
    const docs::DocumentRef ref{docs::DocumentKind::kRetention, "retention"};
    int64_t version = 0;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          docs::DocumentVersion v,
          docs::CreateDraft(txn, Scope("alice@acme.test"), ref, yaml, "retention.yaml"));
      version = v.version;
      return docs::Submit(txn, Scope("alice@acme.test"), ref, version).status();
    });
    InTxn([&](store::Txn& txn) {
      return docs::Approve(txn, Scope("bob@acme.test"), ref, version, "agreed with legal").status();
    });
    InTxn([&](store::Txn& txn) {
      return docs::Publish(txn, Scope("alice@acme.test"), ref, version, docs::Environment::kDev)
          .status();
    });
    for (docs::Environment from : {docs::Environment::kDev, docs::Environment::kStaging}) {
      std::string approval;
      InTxn([&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(docs::PromotionResult asked,
                                 docs::Promote(txn, Scope("alice@acme.test"), ref, from));
        approval = asked.approval_id;
        return Status::Ok();
      });
      InTxn([&](store::Txn& txn) {
        return DecideApproval(txn, Scope("rita@acme.test", perm::kApprovalsDecide), approval, true,
                              "ok")
            .status();
      });
      InTxn([&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(docs::PromotionResult done,
                                 docs::Promote(txn, Scope("alice@acme.test"), ref, from));
        EXPECT_TRUE(done.promoted);
        return Status::Ok();
      });
    }
  }

  std::unique_ptr<AccessControl> access_;
};

TEST_P(RetentionDocumentTest, TheShippedTemplateIsAValidRetentionDocument) {
  const std::string yaml = ReadSourceFile("templates/policies/retention.yaml");
  ASSERT_FALSE(yaml.empty());
  EXPECT_TRUE(docs::ValidateDocument(docs::DocumentKind::kRetention, yaml, "retention.yaml").ok());
  Status bad = docs::ValidateDocument(docs::DocumentKind::kRetention,
                                      "rules:\n  - {data: x, keep_for: 1d, action: purge}\n",
                                      "retention.yaml");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("retention.yaml:2:12:"), std::string::npos) << bad.message();
}

TEST_P(RetentionDocumentTest, TheJobAppliesTheRetentionDocumentProdRuns) {
  InTxn([&](store::Txn& txn) {
    return txn.PublishWorkflowVersion({kA, "order-capture", 1, "h", "steps: []\n", clock_.Now()});
  });
  InTxn([&](store::Txn& txn) -> Status {
    store::Run run;
    run.tenant = kA;
    run.id = RunId("r1");
    run.workflow_name = "order-capture";
    run.workflow_version = 1;
    run.state = store::RunState::kSucceeded;
    run.current_step = "done";
    run.input_json = R"({"email":"jane@example.com"})";
    return txn.CreateRun(run);
  });
  // Stored rules that would keep bodies for ten years lose to the document prod runs.
  InTxn([&](store::Txn& txn) {
    return SetTenantRetentionRules(txn, TenantScope::ForSystem(kA, "test"),
                                   "rules:\n  - {data: payload_bodies, keep_for: 10y, action: "
                                   "redact}\n",
                                   "old.yaml", "interim");
  });
  PublishToProd(ReadSourceFile("templates/policies/retention.yaml"));
  clock_.Advance(std::chrono::hours(24 * 91));

  auto report = RunRetention(*store_, clock_, RetentionOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->tenants.size(), 1u)
      << (report->failures.empty() ? std::string() : report->failures[0].second.ToString());
  EXPECT_EQ(report->tenants[0].rules_source, "document retention@1");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::Run r, txn.GetRun(kA, RunId("r1")));
    EXPECT_TRUE(r.input_json.starts_with(kRedactedMarkerPrefix)) << r.input_json;
    GOVFLOW_ASSIGN_OR_RETURN(
        RetentionStatus s,
        GetRetentionStatus(txn, Scope("tina@acme.test", perm::kRetentionManage)));
    EXPECT_EQ(s.rules_source, "document retention@1");
    return Status::Ok();
  });
}

TEST_P(RetentionDocumentTest, OnlyPeopleWithRetentionManageMayHoldOrRunRetention) {
  // A viewer is refused by AccessControl before any scope exists.
  EXPECT_EQ(Authorize("vic@acme.test", perm::kRetentionManage).status().code(),
            StatusCode::kPermissionDenied);
  // A tenant admin may; the hold names the person who placed it.
  TenantScope admin = Scope("tina@acme.test", perm::kRetentionManage);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(LegalHold h, PlaceLegalHold(txn, admin, std::nullopt, "inquiry"));
    EXPECT_EQ(h.placed_by, admin.actor().id);
    return Status::Ok();
  });
  // A scope granted for another permission does not carry retention.manage.
  TenantScope reader = Scope("vic@acme.test", perm::kDocumentsRead);
  Status denied = store_->Transact(
      [&](store::Txn& txn) { return ReleaseLegalHold(txn, reader, std::nullopt, "done"); });
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  auto run = RunRetentionForTenant(*store_, clock_, reader, RetentionOptions{});
  EXPECT_EQ(run.status().code(), StatusCode::kPermissionDenied);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(RetentionDocumentTest);

}  // namespace
}  // namespace govflow::governance
