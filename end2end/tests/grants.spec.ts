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

  // Smart Hub's organiser records the host's confirmation and approves it on its page: the
  // amount is committed from the budget.
  const euros = (text: string | null) => Number((text ?? "").match(/€([\d,]+\.\d\d) of/)![1].replace(/,/g, ""));
  const organiser = await signedIn(browser, "organiser.smarthub@eventxchange.test");
  await organiser.goto("/organise/grants");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const before = euros(await organiser.locator(".budget").textContent());
  await expect(organiser.locator("table.members tr.eligible", { hasText: "Lotte Janssens" })).toBeVisible();
  await organiser.locator("li.application", { hasText: "Tartu Diagnostics OÜ" }).getByRole("link", { name: /Open application/ }).click();
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(organiser.locator(".status")).toHaveText("Status: submitted");
  await expect(organiser.locator(".eligible-now")).toHaveText("Eligible now.");
  await organiser.getByRole("button", { name: "Confirm the host receives the visitor" }).click();
  await expect(organiser.locator(".status")).toHaveText("Status: host confirmed");
  await organiser.getByRole("button", { name: "Approve" }).click();
  await expect(organiser.locator(".status")).toHaveText("Status: approved");
  await expect(organiser.locator("ol.history li")).toHaveCount(3);
  await expect(organiser.getByRole("link", { name: "CSV" })).toHaveAttribute("href", /evidence\.csv$/);
  await organiser.goto("/organise/grants");
  await expect(organiser.locator(".budget")).toContainText(`€${(before + 780).toLocaleString("en-GB", { minimumFractionDigits: 2 })} of €20,000.00 committed`);

  // Another cluster's organiser does not see it.
  const other = await signedIn(browser, "organiser.tartu@eventxchange.test");
  await other.goto("/organise/grants");
  await expect(other.locator("li.application", { hasText: "Tartu Diagnostics OÜ" })).toHaveCount(0);

  // The partnership's dashboard shows it committed, and the exchange Belgium → Estonia.
  const admin = await signedIn(browser, "admin@eventxchange.test");
  await admin.goto("/admin/grants");
  await expect(admin.locator(".money")).toContainText(`€${(before + 780).toLocaleString("en-GB", { minimumFractionDigits: 2 })} of €20,000.00 committed`);
  await expect(admin.locator("svg.pairs-chart")).toBeVisible();
  await expect(admin.locator("table.pairs tr", { hasText: "Belgium → Estonia" })).toBeVisible();

  await lotte.goto("/grants/apply");
  await expect(lotte.locator("li.application", { hasText: "Tartu Diagnostics OÜ" }).locator(".meeting-state")).toHaveText("approved · €780.00");
});
