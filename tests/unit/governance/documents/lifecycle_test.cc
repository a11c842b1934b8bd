// The governed-document lifecycle (src/governance/documents/lifecycle.h) on both stores:
// content hashes, validation with file:line:column and no state change, segregation of duties,
// immutability once published, promotion through another person's approval, rollback, the
// runtime seeing a workflow published to prod, diffs and partner templates. People and roles
// come from the directory and AccessControl, as in production.
#include "governance/documents/lifecycle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/documents/kind_registry.h"
#include "unit/governance/governance_store_test.h"
#include "workflow/loader.h"

namespace govflow::governance::documents {
namespace {

const TenantId kA("acme");
const TenantId kB("globex");
const TenantId kPartner{std::string(kPartnerScope)};

constexpr const char* kRulesV1 = R"(apiVersion: govflow/v1
kind: ValidationRules
metadata:
  name: price-rules
rules:
  - name: price_positive
    applies_to: master_data:price
    condition: record.price > 0.0
    message: the price must be positive
)";

// The same content as kRulesV1, formatted differently (flow style, comments, key order).
constexpr const char* kRulesV1Reformatted = R"(# reformatted
kind: ValidationRules
apiVersion: "govflow/v1"
metadata: {name: price-rules}
rules: [{message: the price must be positive, name: price_positive,
         condition: "record.price > 0.0", applies_to: "master_data:price"}]
)";

constexpr const char* kRulesV2 = R"(apiVersion: govflow/v1
kind: ValidationRules
metadata:
  name: price-rules
rules:
  - name: price_positive
    applies_to: master_data:price
    condition: record.price >= 0.01
    message: the price must be positive
  - name: sku_present
    applies_to: master_data:price
    condition: has(record.sku)
    message: no SKU
    severity: warning
)";

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/" + relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DocumentsTest : public testing::GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // What the server does at startup: the workflow layer registers its validator.
    RegisterDocumentValidator(DocumentKind::kWorkflow,
                              [](std::string_view text, DiagnosticList& diagnostics) {
                                auto report = workflow::LoadWorkflowWithDiagnostics(text, "");
                                for (const Diagnostic& d : report.diagnostics) {
                                  if (d.severity == Diagnostic::Severity::kError) {
                                    diagnostics.Error(d.location, d.message);
                                  }
                                }
                              });
    access_ = std::make_unique<AccessControl>(*store_, clock_);
    CreateTenant(kA);
    CreateTenant(kB);
    InTxn([](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(SeedDefaultRoles(txn, kA));
      // Who decides promotions: release_manager, one of the seeded default approver roles.
      return SeedDefaultRoles(txn, kB);
    });
    AddUser("alice@acme.test", kA, {"process_owner"});
    AddUser("bob@acme.test", kA, {"process_owner"});
    AddUser("rita@acme.test", kA, {"release_manager"});
    AddUser("gus@globex.test", kB, {"process_owner"});
  }

  void AddUser(const std::string& email, const TenantId& tenant,
               const std::vector<std::string>& roles) {
    InTxn([&](store::Txn& txn) -> Status {
      NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(std::string id, CreateUser(txn, PartnerScope::ForSystem("test"), u));
      for (const auto& role : roles) {
        GOVFLOW_RETURN_IF_ERROR(
            GrantTenantRole(txn, TenantScope::ForSystem(tenant, "test"), id, role));
      }
      return Status::Ok();
    });
  }

  TenantScope Scope(const std::string& email, const TenantId& tenant = kA,
                    std::string_view permission = perm::kDocumentsRead) {
    auto principal = access_->PrincipalForEmail(email);
    EXPECT_TRUE(principal.ok()) << principal.status().ToString();
    auto scope = access_->Authorize(*principal, tenant, permission);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    if (!scope.ok()) return TenantScope::ForSystem(tenant, "broken-test");
    return *scope;
  }

  // Runs `body` in a transaction that is committed only when it succeeds.
  template <typename T>
  Result<T> Do(const std::function<Result<T>(store::Txn&)>& body) {
    std::optional<Result<T>> out;
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      out.emplace(body(txn));
      return out->status();
    });
    if (!out) return st;
    return std::move(*out);
  }

  Result<DocumentVersion> Draft(const TenantScope& scope, DocumentKind kind,
                                const std::string& name, std::string_view text,
                                std::string_view file = "doc.yaml") {
    return Do<DocumentVersion>([&](store::Txn& txn) {
      return CreateDraft(txn, scope, {kind, name}, text, file);
    });
  }

  // alice drafts and submits, bob approves: an approved version.
  DocumentVersion Approved(DocumentKind kind, const std::string& name, std::string_view text) {
    auto d = Draft(Scope("alice@acme.test"), kind, name, text);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    if (!d.ok()) return {};
    EXPECT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                  return Submit(txn, Scope("alice@acme.test"), {kind, name}, d->version);
                }).ok());
    auto a = Do<DocumentVersion>([&](store::Txn& txn) {
      return Approve(txn, Scope("bob@acme.test"), {kind, name}, d->version, "looks right");
    });
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : DocumentVersion{};
  }

  int64_t Count(const std::string& sql, const store::sql::Params& params = {}) {
    int64_t n = -1;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query(sql, params));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  }

  // The newest audit event of `tenant`: action, reason, before, after, details.
  std::vector<std::string> LastAudit(const TenantId& tenant = kA) {
    std::vector<std::string> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          auto rows, txn.sql().Query("SELECT action, reason, before_digest, after_digest, "
                                     "details_json, actor FROM audit_events WHERE tenant_id = ? "
                                     "ORDER BY seq DESC LIMIT 1",
                                     {tenant.value()}));
      for (size_t i = 0; i < 6 && !rows.empty(); ++i) out.push_back(rows[0].Text(i));
      return Status::Ok();
    });
    return out;
  }

  // Opens (or completes) a promotion as `email`.
  Result<PromotionResult> PromoteAs(const std::string& email, const DocumentRef& ref,
                                    Environment from) {
    return Do<PromotionResult>(
        [&](store::Txn& txn) { return Promote(txn, Scope(email), ref, from); });
  }

  Result<ApprovalTask> DecideAs(const std::string& email, const std::string& id, bool approve) {
    return Do<ApprovalTask>([&](store::Txn& txn) {
      return DecideApproval(txn, Scope(email, kA, perm::kApprovalsDecide), id, approve, "ok");
    });
  }

  std::unique_ptr<AccessControl> access_;
};

TEST_P(DocumentsTest, SameContentIsTheSameVersionWhateverItsFormatting) {
  auto v1 =
      Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules", kRulesV1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->content_hash.size(), 64u);
  auto again = Draft(Scope("bob@acme.test"), DocumentKind::kValidationRules, "price-rules",
                     kRulesV1Reformatted);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(again->content_hash, v1->content_hash);
  EXPECT_EQ(again->author, v1->author);
  auto v2 =
      Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules", kRulesV2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_NE(v2->content_hash, v1->content_hash);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'document.draft'"), 2);
}

TEST_P(DocumentsTest, RejectsInvalidYamlAndCelWithFileLineColumnAndChangesNothing) {
  const int64_t audit_before = Count("SELECT COUNT(*) FROM audit_events");
  auto bad_yaml = Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules",
                        "apiVersion: govflow/v1\nrules: [a, b\n", "rules.yaml");
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_EQ(bad_yaml.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(bad_yaml.status().message().starts_with("rules.yaml:3:1: YAML syntax error"))
      << bad_yaml.status().message();

  std::string bad_cel = kRulesV1;
  bad_cel.replace(bad_cel.find("record.price > 0.0"), 18, "record.price >> 0.0");
  auto cel = Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules", bad_cel,
                   "rules.yaml");
  ASSERT_FALSE(cel.ok());
  EXPECT_EQ(cel.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      cel.status().message().starts_with("rules.yaml:8:30: rule 'price_positive' condition: "))
      << cel.status().message();

  std::string wrong_name = kRulesV1;
  auto named = Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "other-rules",
                     wrong_name, "rules.yaml");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().message(),
            "rules.yaml:4:9: metadata.name must be the document's name 'other-rules'");

  EXPECT_EQ(Count("SELECT COUNT(*) FROM governance_documents"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events"), audit_before);
}

TEST_P(DocumentsTest, AuthorCannotApproveTheirOwnDocument) {
  auto d = Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules", kRulesV1);
  ASSERT_TRUE(d.ok());
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Submit(txn, Scope("alice@acme.test"), ref, 1);
              }).ok());
  auto own = Do<DocumentVersion>([&](store::Txn& txn) {
    return Approve(txn, Scope("alice@acme.test"), ref, 1, "mine, fine");
  });
  EXPECT_EQ(own.status().code(), StatusCode::kPermissionDenied);
  auto still = Do<DocumentVersion>(
      [&](store::Txn& txn) { return GetDocument(txn, Scope("alice@acme.test"), ref, 1); });
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->state, DocumentState::kSubmitted);

  auto approved = Do<DocumentVersion>([&](store::Txn& txn) {
    return Approve(txn, Scope("bob@acme.test"), ref, 1, "checked the rule");
  });
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(approved->state, DocumentState::kApproved);
  EXPECT_TRUE(approved->reviewed_by.starts_with("user:"));
  std::vector<std::string> audit = LastAudit();
  ASSERT_EQ(audit.size(), 6u);
  EXPECT_EQ(audit[0], "document.approve");
  EXPECT_EQ(audit[1], "checked the rule");
  EXPECT_EQ(audit[3], d->content_hash);
}

TEST_P(DocumentsTest, PublishedVersionsAreImmutable) {
  DocumentVersion v1 = Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  auto pub = Do<DocumentVersion>([&](store::Txn& txn) {
    return Publish(txn, Scope("alice@acme.test"), ref, 1, Environment::kDev);
  });
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->live_in, std::vector<Environment>{Environment::kDev});
  EXPECT_TRUE(pub->ever_published);

  EXPECT_EQ(Do<DocumentVersion>([&](store::Txn& txn) {
              return Reject(txn, Scope("bob@acme.test"), ref, 1, "changed my mind");
            })
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Do<DocumentVersion>(
                [&](store::Txn& txn) { return Submit(txn, Scope("alice@acme.test"), ref, 1); })
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  // Staging and prod are reached only through promotion.
  EXPECT_EQ(Do<DocumentVersion>([&](store::Txn& txn) {
              return Publish(txn, Scope("alice@acme.test"), ref, 1, Environment::kProd);
            })
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  // Drafting the same content again hands back the published version, unchanged.
  auto again = Draft(Scope("bob@acme.test"), DocumentKind::kValidationRules, "price-rules",
                     kRulesV1Reformatted);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(again->state, DocumentState::kApproved);
  EXPECT_EQ(again->source_yaml, kRulesV1);
  EXPECT_EQ(again->content_hash, v1.content_hash);
}

TEST_P(DocumentsTest, PromotionNeedsAnApprovalFromSomeoneElse) {
  Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Publish(txn, Scope("alice@acme.test"), ref, 1, Environment::kDev);
              }).ok());
  auto asked = PromoteAs("alice@acme.test", ref, Environment::kDev);
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_FALSE(asked->promoted);
  ASSERT_FALSE(asked->approval_id.empty());
  EXPECT_EQ(asked->approval_state, "pending");
  // Asking again does not promote and does not open a second task.
  auto waiting = PromoteAs("alice@acme.test", ref, Environment::kDev);
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(waiting->promoted);
  EXPECT_EQ(waiting->approval_id, asked->approval_id);
  auto staging = Do<std::optional<DocumentVersion>>([&](store::Txn& txn) {
    return ActiveVersion(txn, Scope("alice@acme.test"), ref, Environment::kStaging);
  });
  ASSERT_TRUE(staging.ok());
  EXPECT_FALSE(staging->has_value());

  {
    auto decided = DecideAs("rita@acme.test", asked->approval_id, true);
    ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  }
  auto done = PromoteAs("alice@acme.test", ref, Environment::kDev);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->promoted);
  EXPECT_EQ(done->to, Environment::kStaging);
  EXPECT_EQ(done->version.live_in,
            (std::vector<Environment>{Environment::kDev, Environment::kStaging}));
  std::vector<std::string> audit = LastAudit();
  EXPECT_EQ(audit[0], "document.promote");
  EXPECT_NE(audit[4].find("\"approval_id\":\"" + asked->approval_id + "\""), std::string::npos)
      << audit[4];
}

TEST_P(DocumentsTest, ApprovalByTheAuthorDoesNotCountForPromotion) {
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(std::string alice, FindUserIdByEmail(txn, "alice@acme.test"));
    return GrantTenantRole(txn, TenantScope::ForSystem(kA, "test"), alice, "release_manager");
  });
  Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);  // alice is the author
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Publish(txn, Scope("bob@acme.test"), ref, 1, Environment::kDev);
              }).ok());
  auto asked = PromoteAs("bob@acme.test", ref, Environment::kDev);
  ASSERT_TRUE(asked.ok());
  ASSERT_TRUE(DecideAs("alice@acme.test", asked->approval_id, true).ok());
  auto denied = PromoteAs("bob@acme.test", ref, Environment::kDev);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
}

TEST_P(DocumentsTest, RollbackPublishesAnEarlierVersionAndIsAudited) {
  DocumentVersion v1 = Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);
  DocumentVersion v2 = Approved(DocumentKind::kValidationRules, "price-rules", kRulesV2);
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  for (int64_t v : {1, 2}) {
    ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                  return Publish(txn, Scope("alice@acme.test"), ref, v, Environment::kDev);
                }).ok());
  }
  auto never = Do<DocumentVersion>([&](store::Txn& txn) {
    return Rollback(txn, Scope("alice@acme.test"), ref, Environment::kStaging, 1, "why not");
  });
  EXPECT_EQ(never.status().code(), StatusCode::kFailedPrecondition);

  auto back = Do<DocumentVersion>([&](store::Txn& txn) {
    return Rollback(txn, Scope("alice@acme.test"), ref, Environment::kDev, 1,
                    "v2 rejects valid prices");
  });
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(back->live_in, std::vector<Environment>{Environment::kDev});
  std::vector<std::string> audit = LastAudit();
  EXPECT_EQ(audit[0], "document.rollback");
  EXPECT_EQ(audit[1], "v2 rejects valid prices");
  EXPECT_EQ(audit[2], v2.content_hash);
  EXPECT_EQ(audit[3], v1.content_hash);
  auto pubs = Do<std::vector<Publication>>(
      [&](store::Txn& txn) { return Publications(txn, Scope("alice@acme.test"), ref); });
  ASSERT_TRUE(pubs.ok());
  ASSERT_EQ(pubs->size(), 3u);
  EXPECT_EQ((*pubs)[2].action, "rollback");
  EXPECT_EQ((*pubs)[2].version, 1);
}

TEST_P(DocumentsTest, DiffBetweenVersionsIsReadable) {
  Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);
  Approved(DocumentKind::kValidationRules, "price-rules", kRulesV2);
  auto diff = Do<std::vector<DiffEntry>>([&](store::Txn& txn) {
    return Diff(txn, Scope("alice@acme.test"), {DocumentKind::kValidationRules, "price-rules"}, 1,
                2);
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_EQ(FormatDiff(*diff),
            "~ rules[name=price_positive].condition: \"record.price > 0.0\" -> "
            "\"record.price >= 0.01\"\n"
            "+ rules[name=sku_present]: {\"applies_to\":\"master_data:price\",\"condition\":"
            "\"has(record.sku)\",\"message\":\"no SKU\",\"name\":\"sku_present\",\"severity\":"
            "\"warning\"}\n");
}

TEST_P(DocumentsTest, TenantSeesHowItsDocumentDiffersFromThePartnerTemplate) {
  const std::string tmpl = ReadSourceFile("templates/policies/ai_oversight.yaml");
  ASSERT_FALSE(tmpl.empty());
  const DocumentRef tref{DocumentKind::kAiOversight, "ai-oversight-baseline"};
  auto t = Do<DocumentVersion>([&](store::Txn& txn) -> Result<DocumentVersion> {
    TenantScope author = TenantScope::ForSystem(kPartner, "template-author");
    TenantScope reviewer = TenantScope::ForSystem(kPartner, "template-reviewer");
    GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d,
                             CreateDraft(txn, author, tref, tmpl, "ai_oversight.yaml"));
    GOVFLOW_RETURN_IF_ERROR(Submit(txn, author, tref, d.version).status());
    return Approve(txn, reviewer, tref, d.version, "baseline");
  });
  ASSERT_TRUE(t.ok()) << t.status().ToString();

  const char* override_doc = R"(inherits: ai-oversight-baseline@1
decisions:
  - decision_type: sku_mapping
    min_confidence: 0.97
  - decision_type: carrier_choice
    min_confidence: 0.8
)";
  auto mine = Draft(Scope("alice@acme.test"), DocumentKind::kAiOversight, "ai-oversight",
                    override_doc, "acme-ai.yaml");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->inherits, "ai-oversight-baseline@1");
  auto diff = Do<TemplateDiff>([&](store::Txn& txn) {
    return DiffAgainstTemplate(txn, Scope("alice@acme.test"),
                               {DocumentKind::kAiOversight, "ai-oversight"});
  });
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_EQ(diff->template_name, "ai-oversight-baseline");
  EXPECT_EQ(diff->template_version, 1);
  EXPECT_EQ(FormatDiff(diff->entries),
            "~ decisions[decision_type=sku_mapping].min_confidence: 0.9 -> 0.97\n"
            "+ decisions[decision_type=carrier_choice]: {\"decision_type\":\"carrier_choice\","
            "\"min_confidence\":0.8}\n");

  // An override that breaks the merged document is refused, positioned in the merged text.
  auto broken =
      Draft(Scope("alice@acme.test"), DocumentKind::kAiOversight, "ai-oversight",
            "inherits: ai-oversight-baseline@1\ndecisions: [{decision_type: x}]\n", "acme-ai.yaml");
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
  // Unknown templates are named at the inherits line.
  auto unknown = Draft(Scope("alice@acme.test"), DocumentKind::kAiOversight, "ai-oversight",
                       "inherits: nothing@3\n", "acme-ai.yaml");
  EXPECT_EQ(unknown.status().message(),
            "acme-ai.yaml:1:11: inherits: the partner has no ai_oversight template nothing@3");
}

TEST_P(DocumentsTest, WorkflowPromotedToProdIsRunnableByTheEngine) {
  const std::string yaml = ReadSourceFile("templates/workflows/order-capture.yaml");
  ASSERT_FALSE(yaml.empty());
  DocumentVersion v = Approved(DocumentKind::kWorkflow, "order-capture", yaml);
  ASSERT_EQ(v.version, 1);
  const DocumentRef ref{DocumentKind::kWorkflow, "order-capture"};
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Publish(txn, Scope("alice@acme.test"), ref, 1, Environment::kDev);
              }).ok());
  for (Environment from : {Environment::kDev, Environment::kStaging}) {
    auto asked = PromoteAs("alice@acme.test", ref, from);
    ASSERT_TRUE(asked.ok()) << asked.status().ToString();
    {
      auto decided = DecideAs("rita@acme.test", asked->approval_id, true);
      ASSERT_TRUE(decided.ok()) << decided.status().ToString();
    }
    auto done = PromoteAs("alice@acme.test", ref, from);
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    ASSERT_TRUE(done->promoted);
  }
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::WorkflowVersion w,
                             txn.GetLatestWorkflowVersion(kA, "order-capture"));
    EXPECT_EQ(w.version, 1);
    EXPECT_EQ(w.content_hash, v.content_hash);
    EXPECT_EQ(w.source_yaml, yaml);
    return Status::Ok();
  });

  // v2 reaches prod as runtime version 2; rolling prod back points it at runtime version 1
  // again (the same content is never published twice to the runtime).
  std::string yaml2 = yaml;
  yaml2.replace(yaml2.find("max_lines: 500"), 14, "max_lines: 400");
  DocumentVersion v2 = Approved(DocumentKind::kWorkflow, "order-capture", yaml2);
  ASSERT_EQ(v2.version, 2);
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Publish(txn, Scope("alice@acme.test"), ref, 2, Environment::kDev);
              }).ok());
  for (Environment from : {Environment::kDev, Environment::kStaging}) {
    auto asked = PromoteAs("alice@acme.test", ref, from);
    ASSERT_TRUE(asked.ok()) << asked.status().ToString();
    ASSERT_TRUE(DecideAs("rita@acme.test", asked->approval_id, true).ok());
    ASSERT_TRUE(PromoteAs("alice@acme.test", ref, from).ok());
  }
  auto runtime_version = [&] {
    return Count(
        "SELECT runtime_version FROM document_environments WHERE tenant_id = ? AND env = 'prod'",
        {kA.value()});
  };
  EXPECT_EQ(runtime_version(), 2);
  ASSERT_TRUE(Do<DocumentVersion>([&](store::Txn& txn) {
                return Rollback(txn, Scope("alice@acme.test"), ref, Environment::kProd, 1,
                                "v2 refuses large orders");
              }).ok());
  EXPECT_EQ(runtime_version(), 1);
  auto for_runtime = Do<std::optional<int64_t>>([&](store::Txn& txn) {
    return ProdWorkflowRuntimeVersion(txn, TenantScope::ForSystem(kA, "runtime"), "order-capture");
  });
  ASSERT_TRUE(for_runtime.ok());
  EXPECT_EQ(*for_runtime, std::optional<int64_t>(1));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM workflow_versions WHERE tenant_id = ?", {kA.value()}), 2);
}

TEST_P(DocumentsTest, PeopleWithoutThePermissionCannotDraftApproveOrPublish) {
  AddUser("vic@acme.test", kA, {"viewer"});
  TenantScope vic = Scope("vic@acme.test");
  EXPECT_EQ(Draft(vic, DocumentKind::kValidationRules, "price-rules", kRulesV1).status().code(),
            StatusCode::kPermissionDenied);
  Approved(DocumentKind::kValidationRules, "price-rules", kRulesV1);
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  EXPECT_EQ(Do<DocumentVersion>(
                [&](store::Txn& txn) { return Publish(txn, vic, ref, 1, Environment::kDev); })
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      Do<DocumentVersion>([&](store::Txn& txn) { return GetDocument(txn, vic, ref, 1); }).ok());
}

TEST_P(DocumentsTest, AnotherTenantCannotSeeOrActOnTheDocument) {
  ASSERT_TRUE(
      Draft(Scope("alice@acme.test"), DocumentKind::kValidationRules, "price-rules", kRulesV1)
          .ok());
  const DocumentRef ref{DocumentKind::kValidationRules, "price-rules"};
  TenantScope gus = Scope("gus@globex.test", kB);
  EXPECT_EQ(Do<DocumentVersion>([&](store::Txn& txn) { return GetDocument(txn, gus, ref, 1); })
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Do<DocumentVersion>([&](store::Txn& txn) { return Submit(txn, gus, ref, 1); })
                .status()
                .code(),
            StatusCode::kNotFound);
  auto listed =
      Do<std::vector<DocumentVersion>>([&](store::Txn& txn) { return ListDocuments(txn, gus); });
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  // gus cannot obtain a scope on acme at all.
  auto principal = access_->PrincipalForEmail("gus@globex.test");
  ASSERT_TRUE(principal.ok());
  EXPECT_FALSE(access_->Authorize(*principal, kA, perm::kDocumentsRead).ok());
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(DocumentsTest);

}  // namespace
}  // namespace govflow::governance::documents
