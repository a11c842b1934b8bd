#include "governance/exception_intake.h"

#include <boost/json.hpp>

#include "governance/audit.h"

namespace govflow::governance {

Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& exception_case,
                         const store::Run& run) {
  boost::json::object details;
  details["run"] = run.id.value();
  details["workflow"] = run.workflow_name;
  details["step"] = exception_case.step;
  details["error_class"] = exception_case.error_class;
  AuditRecord record;
  record.actor = "system:runtime";
  record.action = "exception.open";
  record.object_type = "exception_case";
  record.object_id = exception_case.id.value();
  record.reason = exception_case.message;
  record.details_json = boost::json::serialize(details);
  return AppendAudit(txn, exception_case.tenant, record).status();
}

}  // namespace govflow::governance
