import { expect, test } from "@playwright/test";
import { signedIn } from "./fixtures";

test("a demo member with a verified cross-border meeting is eligible, applies, and their cluster's organiser approves within the budget", async ({ browser }) => {
  const lotte = await signedIn(browser, "member.eligible@eventxchange.test");
  await lotte.goto("/grants");
  await expect(lotte.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(lotte.getByText("You are eligible to apply for an exchange grant.")).toBeVisible();
  await expect(lotte.locator("li.rule.passed")).toHaveCount(2);
  await expect(lotte.locator("li.meeting", { hasText: "(Estonia)" }).locator(".meeting-state")).toHaveText("Counts towards the grant");

  // The application: hosted in Tartu for a working week; the rules compute €780.
  await lotte.getByRole("link", { name: "Apply for an exchange grant" }).click();
  await expect(lotte.getByRole("heading", { name: "Apply for an exchange grant" })).toBeVisible();
  await expect(lotte.locator("body")).toHaveAttribute("data-hydrated", "true");
  await lotte.getByLabel("Host organisation").fill("Tartu Diagnostics OÜ");
  await lotte.getByLabel("Host's city").selectOption("Tartu");
  await lotte.getByLabel("Your organisation's city").selectOption("Leuven");
  // A stay of two working days is refused with the rule, and nothing is written.
  await lotte.getByLabel("First day (YYYY-MM-DD)").fill("2027-11-08");
  await lotte.getByLabel("Last day (YYYY-MM-DD)").fill("2027-11-09");
  await lotte.getByLabel("Goals of the exchange").fill("Validate our biosensor with clinical samples.");
  await lotte.getByLabel("Agenda").fill("Monday: lab tour. Tuesday to Friday: joint measurements.");
  await lotte.getByRole("button", { name: "Submit the application" }).click();
  await expect(lotte.getByText(/An exchange lasts 3 to 22 working days; this one has 2/).first()).toBeVisible();
  await lotte.getByLabel("Last day (YYYY-MM-DD)").fill("2027-11-12");
  await lotte.getByRole("button", { name: "Submit the application" }).click();
  const application = lotte.locator("li.application", { hasText: "Tartu Diagnostics OÜ" });
  await expect(application.locator(".meeting-state")).toHaveText("submitted · €780.00");
  await expect(application).toContainText("5 working days");

  // Smart Hub's organiser approves it: the amount is committed from the budget.
  const organiser = await signedIn(browser, "organiser.smarthub@eventxchange.test");
  await organiser.goto("/organise/grants");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(organiser.locator(".budget")).toHaveText("€0.00 of €20,000.00 committed");
  const review = organiser.locator("li.application", { hasText: "Tartu Diagnostics OÜ" });
  await review.getByRole("button", { name: "Approve" }).click();
  await expect(organiser.locator(".budget")).toHaveText("€780.00 of €20,000.00 committed");
  await expect(review.locator(".meeting-state")).toHaveText("approved · €780.00");

  // Another cluster's organiser does not see it.
  const other = await signedIn(browser, "organiser.tartu@eventxchange.test");
  await other.goto("/organise/grants");
  await expect(other.getByText("No applications yet.")).toBeVisible();

  await lotte.goto("/grants/apply");
  await expect(lotte.locator("li.application", { hasText: "Tartu Diagnostics OÜ" }).locator(".meeting-state")).toHaveText("approved · €780.00");
});
