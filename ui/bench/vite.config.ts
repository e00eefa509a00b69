import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// Builds the grid benchmark's page into ui/bench/dist.
export default defineConfig({
  root: __dirname,
  plugins: [svelte()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", rollupOptions: { input: "grid.html" } },
});
