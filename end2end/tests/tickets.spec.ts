import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD } from "./fixtures";


test("a member registers for a free ticket, reviews it and finds it on the account page", async ({ page }) => {
  await page.goto("/events/tartu-2027");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const tickets = page.locator("section.tickets");
  await expect(tickets.getByText("Member ticket", { exact: true })).toBeVisible();
  await expect(tickets.getByText(/online payment is not set up/)).toBeVisible();
  await tickets.getByRole("link", { name: "Register" }).click();
  await page.getByRole("link", { name: "Sign in to register" }).click();

  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Email address").fill("attendee.tartu@eventxchange.test");
  await page.locator("#field-password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/events\/tartu-2027\/register$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.getByLabel(/Member ticket/).check();
  await expect(page.getByLabel("Name on the badge")).toHaveValue("Kadri Kask");
  await page.getByLabel("Organisation", { exact: true }).fill("Tartu Omics OÜ");
  await page.getByLabel("Kind of organisation").selectOption("sme");
  await page.getByLabel("Your cluster").selectOption("tartu");
  await page.getByLabel("Country").fill("Estonia");
  await page.getByLabel("Your role").fill("Founder");
  await page.getByLabel("Multiomics").check();
  // Forgetting the terms is named, and nothing is lost from the form.
  await page.getByRole("button", { name: "Review my registration" }).click();
  await expect(page.getByText("Please accept the terms of participation")).toBeVisible();
  await page.getByLabel(/I accept the terms/).check();
  await page.getByRole("button", { name: "Review my registration" }).click();

  await expect(page).toHaveURL(/\/events\/tartu-2027\/register\/review$/);
  await expect(page.getByRole("heading", { name: "Check your registration" })).toBeVisible();
  await expect(page.getByText("Tartu Omics OÜ")).toBeVisible();
  await page.getByRole("button", { name: "Confirm registration" }).click();

  await expect(page).toHaveURL(/\/tickets\/\d+$/);
  await expect(page.getByRole("status").filter({ hasText: "Confirmed" })).toBeVisible();
  await page.goto("/account");
  await expect(page.locator("ul.my-tickets").getByRole("link", { name: /Tartu.*Member ticket/ })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("registration works with plain form posts, and a second one is refused", async ({ page }) => {
    await page.goto("/signin?next=/events/heidelberg-2027/register");
    await page.getByLabel("Email address").fill("attendee@eventxchange.test");
    await page.locator("#field-password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events\/heidelberg-2027\/register$/);

    await page.getByLabel(/Member ticket/).check();
    await page.getByLabel("Organisation", { exact: true }).fill("Neckar Proteomics GmbH");
    await page.getByLabel("Kind of organisation").selectOption("research");
    await page.getByLabel("Country").fill("Germany");
    await page.getByLabel("Your role").fill("Group leader");
    await page.getByLabel(/I accept the terms/).check();
    await page.getByRole("button", { name: "Review my registration" }).click();
    await expect(page).toHaveURL(/\/register\/review$/);
    await page.getByRole("button", { name: "Confirm registration" }).click();
    await expect(page).toHaveURL(/\/tickets\/\d+$/);
    await expect(page.getByText("Confirmed", { exact: true })).toBeVisible();

    await page.goto("/events/heidelberg-2027/register");
    await expect(page.getByText("You already have a ticket for this event.")).toBeVisible();
  });
});
