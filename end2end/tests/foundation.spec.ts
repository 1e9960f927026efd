import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD } from "./fixtures";

test("the home page lists the four events of the series", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "EventXchange" })).toBeVisible();
  await expect(page.locator(".event-card")).toHaveCount(4);
  await expect(page.getByRole("link", { name: /Clinically Useful Biomarkers/ })).toBeVisible();
  await expect(page.getByText("Organised by Tartu Biotechnology Park")).toBeVisible();
});

test("the page hydrates: the show-password switch works only once WASM has loaded", async ({ page }) => {
  // The page's Content-Security-Policy lets its own scripts and the WASM bundle run: the browser
  // reports no violation, and nothing fails to load (no favicon 404 either).
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto("/signin");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const favicon = await page.request.get("/favicon.ico");
  expect(favicon.status()).toBe(200);
  const password = page.locator("#field-password");
  await password.fill("s3cret-value");
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await page.getByRole("button", { name: "Hide" }).click();
  await expect(password).toHaveAttribute("type", "password");
  expect(problems).toEqual([]);
});

test("client-side navigation after hydration reaches an event page", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("link", { name: /Micro- and Nanoelectronics/ }).click();
  await expect(page).toHaveURL(/\/events\/leuven-2027$/);
  await expect(page.getByText("Provincieplein 1, 3010 Leuven, Belgium")).toBeVisible();
  await expect(page.getByText(/Tuesday 11 May 2027, 09:00 CEST/)).toBeVisible();
});

test("an attendee signs in, sees the account page, and signs out", async ({ page }) => {
  await page.goto("/signin");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Email address").fill("attendee@eventxchange.test");
  await page.locator("#field-password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("The email address or the password is not right.")).toBeVisible();

  await page.locator("#field-password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Hello, Ana Müller" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Ana Müller" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-in works as a plain form, and errors are shown", async ({ page }) => {
    await page.goto("/signin?next=/events/copenhagen-2027");
    await page.getByLabel("Email address").fill("organiser.biopeople@eventxchange.test");
    await page.locator("#field-password").fill("not it");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("The email address or the password is not right.")).toBeVisible();

    await page.getByLabel("Email address").fill("organiser.biopeople@eventxchange.test");
    await page.locator("#field-password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events\/copenhagen-2027$/);
    await expect(page.getByRole("link", { name: "Organise" })).toBeVisible();
    await page.getByRole("link", { name: "Organise" }).click();
    await expect(page.getByRole("heading", { name: "EventXchange Copenhagen: Multiomics" })).toBeVisible();
  });

  test("an unknown address shows the not-found page", async ({ page }) => {
    const response = await page.goto("/events/atlantis");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });
});
