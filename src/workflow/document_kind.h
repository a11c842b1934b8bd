// Registers the workflow layer's validator for governed documents of kind "workflow" (the
// governance module cannot link the workflow loader, so the layer that owns the language plugs it
// into governance's kind registry). Call once at startup of every process that drafts documents;
// calling again is harmless. Thread-safe after registration.
#pragma once

namespace govflow::workflow {

void RegisterWorkflowDocumentKind();

}  // namespace govflow::workflow
