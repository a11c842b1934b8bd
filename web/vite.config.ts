// The console is served by govflow itself (src/api static files) from web/dist; in development
// `npm run dev` proxies the API to a local `govflow serve` (GOVFLOW_URL, default 127.0.0.1:8080).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      "/api": process.env.GOVFLOW_URL ?? "http://127.0.0.1:8080",
    },
  },
});
