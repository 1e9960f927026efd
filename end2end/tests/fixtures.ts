// What the journeys share: the demo password and the sign-in flow, written once.
import { expect, type Browser, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "eventxchange-demo";

/** Fills the sign-in form the page shows and sends it. */
export async function submitSignIn(page: Page, email: string) {
  await page.getByLabel("Email address").fill(email);
  await page.locator("#field-password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in on a hydrated sign-in page and waits to land on `next`. */
export async function signIn(page: Page, email: string, next: string) {
  await page.goto(`/signin?next=${encodeURIComponent(next)}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await submitSignIn(page, email);
  await expect(page).toHaveURL(new RegExp(`${next.replace(/[?]/g, "\\?")}$`));
}

/** A page in a browser context of its own, signed in as `email`. */
export async function signedIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/signin");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await submitSignIn(page, email);
  await expect(page.getByRole("link", { name: "Sign out" }).or(page.getByRole("button", { name: "Sign out" }))).toBeVisible();
  return page;
}

/** Registers the signed-in person for the event's member ticket, listed in the directory. */
export async function registerMember(page: Page, slug: string, cluster: string, organisation: string, offers: string, seeks: string, hydrates = true) {
  await page.goto(`/events/${slug}/register`);
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
