import { expect, test, type Page } from "@playwright/test";
import { DEMO_PASSWORD, signedIn } from "./fixtures";

/** Registers the signed-in person for the Heidelberg member ticket, listed in the directory. */
async function register(page: Page, cluster: string, organisation: string, offers: string, seeks: string, hydrates = true) {
  await page.goto("/events/heidelberg-2027/register");
  if (hydrates) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  // Registered by an earlier journey of this file already (they share one server).
  if (await page.getByText("You already have a ticket for this event.").isVisible()) return;
  await page.getByLabel(/Member ticket/).check();
  await page.getByLabel("Organisation", { exact: true }).fill(organisation);
  await page.getByLabel("Kind of organisation").selectOption("sme");
  await page.getByLabel("Your cluster").selectOption(cluster);
  await page.getByLabel("Country").fill(cluster === "tartu" ? "EE" : "DE");
  await page.getByLabel("Your role").fill("Business development");
  await page.getByLabel("Clinically useful biomarkers").check();
  await page.getByLabel("What you offer (for B2B matchmaking)").fill(offers);
  await page.getByLabel("What you are looking for").fill(seeks);
  await page.getByLabel(/List me in the event's participant directory/).check();
  await page.getByLabel(/I accept the terms/).check();
  await page.getByRole("button", { name: "Review my registration" }).click();
  await page.getByRole("button", { name: "Confirm registration" }).click();
  await expect(page).toHaveURL(/\/tickets\/\d+$/);
}

test("one attendee asks another for a meeting, the other accepts, and both see table and time", async ({ browser }) => {
  const ana = await signedIn(browser, "attendee@eventxchange.test");
  await register(ana, "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biomarker validation");
  const kadri = await signedIn(browser, "attendee.tartu@eventxchange.test");
  await register(kadri, "tartu", "Tartu Omics OÜ", "Biomarker validation", "Proteomics assays");

  // Ana finds Kadri in the directory, filtered to her cluster, and asks for the first free slot.
  await ana.goto("/events/heidelberg-2027/participants");
  await expect(ana.locator("body")).toHaveAttribute("data-hydrated", "true");
  await ana.locator("p.facet").filter({ hasText: "Cluster" }).getByRole("link", { name: /Tartu/ }).click();
  await expect(ana).toHaveURL(/cluster=tartu/);
  await ana.getByRole("link", { name: "Kadri Kask" }).click();
  await expect(ana.getByRole("heading", { name: "Kadri Kask" })).toBeVisible();
  await expect(ana.getByText(/Why meet: offers .*validation.*, which you seek/)).toBeVisible();
  await ana.getByLabel("Message (optional)").fill("Shall we talk about validation?");
  await ana.getByRole("button", { name: "Send the request" }).click();
  await expect(ana).toHaveURL(/\/events\/heidelberg-2027\/meetings$/);
  const request = ana.locator("li.meeting", { hasText: "Kadri Kask" });
  await expect(request.locator(".meeting-state")).toHaveText("Waiting for their answer");

  // Kadri accepts; a table is assigned at once.
  await kadri.goto("/events/heidelberg-2027/meetings");
  await expect(kadri.locator("body")).toHaveAttribute("data-hydrated", "true");
  const incoming = kadri.locator("li.meeting", { hasText: "Ana Müller" });
  await expect(incoming.locator(".meeting-state")).toHaveText("Waiting for your answer");
  await expect(incoming).toContainText("Shall we talk about validation?");
  await incoming.getByRole("button", { name: "Accept" }).click();
  await expect(incoming.locator(".meeting-state")).toHaveText("Accepted");
  await expect(incoming.locator(".meeting-when")).toContainText(/Table \d+/);
  const when = (await incoming.locator(".meeting-when").textContent()) ?? "";
  expect(when).toMatch(/14:00–14:20 CE/);

  // Ana sees the same meeting, table and time.
  await ana.reload();
  await expect(request.locator(".meeting-state")).toHaveText("Accepted");
  await expect(request.locator(".meeting-when")).toHaveText(when);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the directory filters are links, and a request is a plain form", async ({ page }) => {
    await page.goto("/signin?next=/events/heidelberg-2027/register");
    await page.getByLabel("Email address").fill("attendee@eventxchange.test");
    await page.locator("#field-password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events\/heidelberg-2027\/register$/);
    await register(page, "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biosensor chips", false);

    await page.goto("/events/heidelberg-2027/participants");
    await page.locator("p.facet").filter({ hasText: "Theme" }).getByRole("link", { name: "Micro- and nanoelectronics" }).click();
    await expect(page).toHaveURL(/theme=micro-nano-electronics/);
    const someone = page.locator("li.participant").first();
    await expect(someone).toBeVisible();
    const name = ((await someone.getByRole("link").first().textContent()) ?? "").trim();
    await someone.getByRole("link").first().click();
    await expect(page.getByRole("button", { name: "Send the request" })).toBeVisible();
    await page.getByRole("button", { name: "Send the request" }).click();
    await expect(page).toHaveURL(/\/events\/heidelberg-2027\/meetings$/);
    await expect(page.locator("li.meeting", { hasText: name }).locator(".meeting-state")).toHaveText("Waiting for their answer");
  });
});
