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
