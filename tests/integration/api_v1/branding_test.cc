// The branding document's rules (api/branding.h): what a partner may put in branding.json and
// what is refused, naming the member; and the console's content types (api/static_files.h).
#include "api/branding.h"

#include <gtest/gtest.h>

#include "api/static_files.h"

namespace govflow::api {
namespace {

TEST(NormaliseBranding, KeepsKnownMembersInAFixedOrder) {
  auto out = NormaliseBranding(
      R"({"support":{"email":"help@nw.example"},"colors":{"primary":"#0A7d4f","text":"#123"},)"
      R"("favicon_url":"/brand/icon.svg","logo_url":"https://cdn.nw.example/l.svg",)"
      R"("product_name":"Northwind Ops"})");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->starts_with(R"({"product_name":"Northwind Ops","logo_url":)")) << *out;
  EXPECT_NE(out->find(R"("colors":{"primary":"#0A7d4f","text":"#123"})"), std::string::npos);
}

TEST(NormaliseBranding, RefusesBadDocumentsNamingTheMember) {
  const std::pair<const char*, const char*> kCases[] = {
      {R"([])", "(document)"},
      {R"({"product_name":""})", "product_name"},
      {R"({"logo_url":"/x.svg"})", "product_name"},
      {R"({"product_name":"A","colors":{"primary":"red"}})", "colors.primary"},
      {R"({"product_name":"A","colors":{"primary":"#12345g"}})", "colors.primary"},
      {R"({"product_name":"A","colors":{"border":"#123456"}})", "colors.border"},
      {R"({"product_name":"A","logo_url":"javascript:void"})", "logo_url"},
      {R"({"product_name":"A","favicon_url":"//evil.example/x.ico"})", "favicon_url"},
      {R"({"product_name":"A","support":{"url":"ftp://x"}})", "support.url"},
      {R"({"product_name":"A","footer":"x"})", "footer"},
      {R"({"product_name":"A\nB"})", "product_name"},
  };
  for (const auto& [doc, member] : kCases) {
    auto out = NormaliseBranding(doc);
    ASSERT_FALSE(out.ok()) << doc;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find(std::string(member) + ":"), std::string::npos)
        << doc << " -> " << out.status().message();
  }
}

TEST(BrandingSource, WithoutAFileIsNeutral) {
  BrandingSource none("");
  EXPECT_EQ(none.Json(), R"({"product_name":"Console"})");
  BrandingSource missing("/nonexistent/branding.json");
  EXPECT_EQ(missing.Json(), R"({"product_name":"Console"})");
}

TEST(ContentTypeFor, KnowsTheConsoleFiles) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("index-CkGPIvrz.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("index-wX_CG77M.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("font.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
}

}  // namespace
}  // namespace govflow::api
