#include "workflow/message_template.h"

#include "base/canonical_json.h"
#include "workflow/cel_json.h"

namespace govflow::workflow {

Result<std::vector<TemplateSegment>> SplitTemplate(std::string_view source, size_t* error_offset) {
  std::vector<TemplateSegment> segments;
  size_t pos = 0;
  while (pos < source.size()) {
    size_t open = source.find("{{", pos);
    if (open == std::string_view::npos) {
      segments.push_back({false, std::string(source.substr(pos)), pos});
      break;
    }
    if (open > pos) segments.push_back({false, std::string(source.substr(pos, open - pos)), pos});
    size_t close = source.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error_offset = open;
      return InvalidArgument("'{{' without a closing '}}'");
    }
    std::string_view inner = source.substr(open + 2, close - open - 2);
    if (inner.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      *error_offset = open;
      return InvalidArgument("empty '{{ }}' interpolation");
    }
    segments.push_back({true, std::string(inner), open + 2});
    pos = close + 2;
  }
  return segments;
}

Result<std::string> RenderMessage(const MessageTemplate& message,
                                  const expr::Activation& activation,
                                  const expr::EvalOptions& options) {
  std::string out;
  for (const MessageTemplate::Part& part : message.parts) {
    if (!part.expression) {
      out += part.text;
      continue;
    }
    expr::Value value = part.expression->program->Evaluate(activation, options);
    if (value.is_error()) {
      return InvalidArgument(std::string(value.error_message()));
    }
    if (value.kind() == expr::ValueKind::kString) {
      out += value.string_value();
      continue;
    }
    GOVFLOW_ASSIGN_OR_RETURN(boost::json::value json, ValueToJson(value));
    out += CanonicalJson(json);
  }
  return out;
}

}  // namespace govflow::workflow
