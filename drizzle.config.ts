import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations for src/db/schema into drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
