import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("browse an agenda by track, add a session to my agenda and find it on my page", async ({ page }) => {
  await page.goto("/events/tartu-2027");
  await page.getByRole("link", { name: "See the agenda" }).click();
  await expect(page.getByRole("heading", { name: "Agenda", level: 1 })).toBeVisible();
  await expect(page.locator("li.session")).toHaveCount(24);
  await page.getByRole("link", { name: "AI in diagnostics" }).click();
  await expect(page.locator("li.session")).toHaveCount(6);
  await expect(page.getByText("Large language models in the clinic")).toBeVisible();

  await signIn(page, "attendee.tartu@eventxchange.test", "/events/tartu-2027/agenda?track=AI%20in%20diagnostics");
  const session = page.locator("li.session", { hasText: "Large language models in the clinic" });
  await session.getByRole("button", { name: "Add to my agenda" }).click();
  await expect(session.getByRole("button", { name: "Remove from my agenda" })).toBeVisible();

  await page.goto("/account");
  const mine = page.locator("section.my-agenda");
  await expect(mine.getByRole("link", { name: "Large language models in the clinic" })).toBeVisible();
  await expect(mine.getByText(/EEST/)).toBeVisible();
});

test("an organiser edits a session, and an overlapping room is refused with its message", async ({ page }) => {
  await signIn(page, "organiser.smarthub@eventxchange.test", "/organise/leuven-2027/agenda");
  await expect(page.getByRole("heading", { name: "Agenda editor" })).toBeVisible();

  const row = page.locator("tr", { hasText: "Photonic biosensors" });
  await row.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: "Change the session" })).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveValue("Photonic biosensors");

  await page.getByLabel("Title").fill("Photonic biosensors for the clinic");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Session saved.")).toBeVisible();
  await expect(page.locator("tr", { hasText: "Photonic biosensors for the clinic" })).toBeVisible();

  // A new session in the same room at an overlapping time is refused.
  await page.goto("/organise/leuven-2027/agenda");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Title").fill("Surprise talk");
  await page.locator("#field-day").selectOption("2027-05-12");
  await page.getByLabel("Starts (HH:MM)").fill("11:30");
  await page.getByLabel("Ends (HH:MM)").fill("12:00");
  await page.locator("#field-room").selectOption("Aula Gasthuisberg");
  await page.getByRole("button", { name: "Add session" }).click();
  await expect(page.getByText(/Aula Gasthuisberg already holds “Photonic biosensors for the clinic”/)).toBeVisible();
  await expect(page.locator("tr", { hasText: "Surprise talk" })).toHaveCount(0);
});
