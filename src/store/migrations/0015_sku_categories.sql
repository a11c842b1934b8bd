-- SKU categories (src/intel/sku_categories.h, docs/intel.md): the category each SKU of a tenant
-- belongs to, for the dashboards' "by SKU category" breakdown. A Shopify order's lines carry no
-- product type, so the category comes from master data the tenant maintains (typically the ERP
-- item's category code, e.g. Business Central's itemCategoryCode).
CREATE TABLE intel_sku_categories (
  tenant_id   TEXT   NOT NULL,
  sku         TEXT   NOT NULL,
  category    TEXT   NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, sku)
);
