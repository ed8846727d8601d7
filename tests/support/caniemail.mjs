// Checks an email's HTML against caniemail's data (npm @jsx-email/doiuse-email).
// Usage: node tests/support/caniemail.mjs CLIENT_GLOB... < email.html
// Prints one JSON object: {"success": bool, "errors": [...], "notes": [...]}.
import { readFileSync } from "node:fs";
import { doIUseEmail } from "@jsx-email/doiuse-email";

const html = readFileSync(0, "utf8");
const clients = process.argv.slice(2);
const result = doIUseEmail(html, { emailClients: clients });
process.stdout.write(JSON.stringify(result));
