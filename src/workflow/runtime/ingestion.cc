#include "workflow/runtime/ingestion.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <memory>
#include <utility>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "workflow/runtime/run_state.h"

namespace govflow::workflow::runtime {
namespace json = boost::json;
namespace {

// Lower-cased names, sorted, "name: value\n" each: stable under header order and case.
std::string HeadersDigest(const connect::HttpHeaders& headers) {
  std::vector<std::string> lines;
  lines.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string line = name;
    std::transform(line.begin(), line.end(), line.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    line += ": ";
    line += value;
    line += '\n';
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l;
  return Sha256Hex(all);
}

std::string HeaderOr(const connect::HttpHeaders& headers, std::string_view name) {
  const std::string* v = connect::FindHeader(headers, name);
  return v == nullptr ? std::string() : *v;
}

}  // namespace

Ingestion::Ingestion(Catalog& catalog, store::Committer& committer, const Clock& clock,
                     std::function<void()> on_run_created, RunHandOff hand_off)
    : catalog_(catalog),
      committer_(committer),
      clock_(clock),
      on_run_created_(std::move(on_run_created)),
      hand_off_(std::move(hand_off)) {}

void Ingestion::Ingest(WebhookRequest request, std::function<void(WebhookAnswer)> done) {
  std::shared_ptr<connect::Connector> connector =
      catalog_.FindConnector(request.tenant, request.connection.value());
  connect::InboundConnector* inbound = connector ? connector->AsInbound() : nullptr;
  if (inbound == nullptr) {
    done(WebhookAnswer{404, "unknown_connection",
                       "no inbound connection '" + request.connection.value() + "' for tenant '" +
                           request.tenant.value() + "'",
                       std::nullopt, std::nullopt});
    return;
  }

  connect::InboundHttpRequest http{request.method, request.path, request.headers, request.body};
  connect::InboundResult verdict = inbound->Accept(http);

  auto delivery = std::make_shared<store::Delivery>();
  delivery->tenant = request.tenant;
  delivery->id = DeliveryId(NewUniqueId("dlv_"));
  delivery->connection = request.connection;
  delivery->headers_digest = HeadersDigest(request.headers);
  delivery->received_at = clock_.Now();

  if (auto* rejection = std::get_if<connect::DeliveryRejection>(&verdict)) {
    delivery->status = store::DeliveryStatus::kRejected;
    delivery->reason = rejection->reason + ": " + rejection->message;
    delivery->webhook_id = HeaderOr(request.headers, "X-Shopify-Webhook-Id");
    delivery->topic = HeaderOr(request.headers, "X-Shopify-Topic");
    delivery->body = std::move(request.body);
    WebhookAnswer answer{rejection->http_status, rejection->reason, rejection->message,
                         delivery->id, std::nullopt};
    committer_.Submit(
        [delivery](store::Txn& txn) -> Status { return txn.RecordDelivery(*delivery).status(); },
        [answer = std::move(answer), done = std::move(done)](Status) mutable {
          // Recorded or not, the request was bad: the sender gets the same 4xx.
          done(std::move(answer));
        });
    return;
  }

  auto& accepted = std::get<connect::InboundDelivery>(verdict);
  delivery->status = store::DeliveryStatus::kAccepted;
  delivery->webhook_id = accepted.webhook_id;
  delivery->topic = accepted.topic;
  delivery->body = std::move(accepted.body);

  std::optional<ActiveWorkflow> workflow;
  if (accepted.trigger) {
    workflow = catalog_.Route(request.tenant, request.connection.value(), *accepted.trigger);
  }
  std::shared_ptr<store::Run> run;
  if (workflow) {
    run = std::make_shared<store::Run>();
    run->tenant = request.tenant;
    run->id = RunId(NewUniqueId("run_"));
    run->workflow_name = workflow->name;
    run->workflow_version = workflow->version;
    run->delivery_id = delivery->id;
    run->state = store::RunState::kPending;
    run->current_step = workflow->definition->first_step().name;
    // The body's own text (InboundDelivery::payload is its parse): the same JSON value without
    // serialising 6 KB again on the request's thread.
    run->input_json = delivery->body;
    run->input_keys = store::InputBusinessKeys(accepted.payload);
    run->context_json = RunContext{}.ToJson();
    run->next_wake_at = delivery->received_at;
    if (hand_off_.reserve) {
      if (std::optional<store::Lease> lease = hand_off_.reserve()) {
        run->lease_owner = lease->owner;
        run->lease_token = lease->token;
        run->lease_expires_at = lease->expires_at;
      }
    }
    delivery->run_id = run->id;
  } else {
    delivery->reason = "ignored: no workflow is routed for topic '" + accepted.topic + "'";
  }

  struct Output {
    store::DeliveryOutcome outcome;
  };
  // The run's creation is audited in the same unit (run.created); the payload only by digest,
  // computed here on the request's thread rather than on the single commit path.
  auto audit = std::make_shared<governance::AuditRecord>();
  if (run) {
    audit->actor = "system:runtime";
    audit->action = "run.created";
    audit->object_type = "run";
    audit->object_id = run->id.value();
    audit->after_digest = Sha256Hex(run->input_json);
    audit->details_json = json::serialize(json::object{{"workflow", run->workflow_name},
                                                       {"version", run->workflow_version},
                                                       {"step", run->current_step},
                                                       {"from", ""},
                                                       {"to", "pending"},
                                                       {"delivery", delivery->id.value()},
                                                       {"connection", request.connection.value()},
                                                       {"topic", delivery->topic}});
  }
  auto out = std::make_shared<Output>();
  // The parsed payload travels to the executor with a handed-off run (no second parse).
  auto input = std::make_shared<json::value>();
  if (run && !run->lease_owner.empty()) *input = std::move(accepted.payload);
  committer_.Submit(
      [delivery, run, out, audit](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(out->outcome, txn.RecordDelivery(*delivery));
        if (out->outcome.status != store::DeliveryStatus::kAccepted || run == nullptr) {
          return Status::Ok();  // a duplicate (or an ignored topic) starts nothing
        }
        Status s = txn.CreateRun(*run);
        // The run id is ours: kAlreadyExists means a re-run of this unit already created it
        // (and its audit event).
        if (s.code() == StatusCode::kAlreadyExists) return Status::Ok();
        GOVFLOW_RETURN_IF_ERROR(s);
        return governance::AppendAudit(txn, run->tenant, *audit).status();
      },
      [this, delivery, run, out, input, done = std::move(done)](Status status) {
        const bool handed_off = run != nullptr && !run->lease_owner.empty();
        const bool created = status.ok() && run != nullptr &&
                             out->outcome.status == store::DeliveryStatus::kAccepted;
        if (handed_off) {
          if (created) {
            run->version = 1;
            hand_off_.adopt(*run, std::move(*input));
          } else {
            hand_off_.cancel();
          }
        }
        if (!status.ok()) {
          done(
              WebhookAnswer{503, "store_unavailable",
                            "the delivery could not be recorded; retry later: " + status.ToString(),
                            std::nullopt, std::nullopt});
          return;
        }
        if (out->outcome.status == store::DeliveryStatus::kDuplicate) {
          done(WebhookAnswer{200, "duplicate", "", out->outcome.original,
                             out->outcome.original_run});
          return;
        }
        if (run == nullptr) {
          done(WebhookAnswer{200, "ignored", delivery->reason, delivery->id, std::nullopt});
          return;
        }
        if (!handed_off && on_run_created_) on_run_created_();
        done(WebhookAnswer{200, "accepted", "", delivery->id, run->id});
      });
}

std::string WebhookAnswerBody(const WebhookAnswer& answer) {
  json::object o;
  if (answer.http_status >= 200 && answer.http_status < 300) {
    o["status"] = answer.reason;
    if (answer.delivery) o["delivery"] = answer.delivery->value();
    if (answer.run) o["run"] = answer.run->value();
    if (!answer.message.empty()) o["detail"] = answer.message;
    return json::serialize(o);
  }
  o["type"] = "https://govflow.dev/problems/" + answer.reason;
  o["title"] = answer.reason;
  o["status"] = answer.http_status;
  o["detail"] = answer.message;
  if (answer.delivery) o["delivery"] = answer.delivery->value();
  return json::serialize(o);
}

}  // namespace govflow::workflow::runtime
