// The governance side of a new exception case: called by the runtime inside the transaction that
// opens the case, it classifies the case (error class, category, root-cause key), gives it a
// severity, assigns the owning team, starts its SLA clocks, attaches it to its root-cause group
// with its business impact, and audits it. Whatever the policies say (or when a tenant has none
// published), the case is opened and owned: the fallbacks are documented in
// docs/governance/exceptions.md. Pure functions plus writes on the caller's Txn; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "governance/policies/escalation.h"
#include "governance/policies/ownership.h"
#include "governance/policies/severity.h"
#include "governance/policies/sla.h"
#include "store/store.h"

namespace govflow::governance {

// The four exception policies in force for a tenant. A null member means "none published": the
// Fallback*() policy applies.
struct PolicySet {
  std::shared_ptr<const policies::SeverityPolicy> severity;
  std::shared_ptr<const policies::OwnershipMap> ownership;
  std::shared_ptr<const policies::SlaPolicy> sla;
  std::shared_ptr<const policies::EscalationPolicy> escalation;

  const policies::SeverityPolicy& severity_or_fallback() const;
  const policies::OwnershipMap& ownership_or_fallback() const;
  const policies::SlaPolicy& sla_or_fallback() const;
  const policies::EscalationPolicy& escalation_or_fallback() const;
  // "published: severity, ownership; fallback: sla, escalation" (kept with each case).
  std::string Describe() const;
};

// The tenant's policies published to the engine's environment ("prod") as governed documents of
// kinds severity, ownership, sla and escalation (0005_documents.sql), else the partner's
// ("_partner") published ones, parsed once per content hash and shared; null members where
// neither published one (fallbacks). A published document that does not parse is kInternal
// (publication validates documents; this is a broken invariant).
Result<PolicySet> LoadPolicySet(store::Txn& txn, const TenantId& tenant);

// What classification derives from a case.
struct Classification {
  std::string error_class;     // the engine's class, as given
  std::string category;        // master_data, data, connectivity, credentials, remote_rejection,
                               // governance, platform, unknown
  std::string root_cause_key;  // "unknown_item:SKU-123", "validation:email-present", ...
};
Classification ClassifyException(const store::ExceptionCase& exception_case, const store::Run& run);

// Order value at risk and the customer, from an order-shaped event: total_price (string or
// number, major units) or current_total_price, currency (or presentment_currency), and the
// customer's id (customer.id), else its e-mail (customer.email, email). Zero/"" when absent.
struct BusinessImpact {
  int64_t order_value_minor = 0;
  std::string currency;
  std::string customer_key;
};
BusinessImpact ImpactOfEvent(const boost::json::value& event);

// Loads the tenant's PolicySet and does the intake with it.
Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& exception_case,
                         const store::Run& run);
// The intake with explicit policies (tests; callers that already hold the policies). Writes the
// case's exception_governance row and audits "exception.open". Opening the same case twice is a
// no-op (kOk), so a re-run commit unit stays idempotent.
Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& exception_case,
                         const store::Run& run, const PolicySet& policies);

}  // namespace govflow::governance
