import { expect, request, test, type Page } from "@playwright/test";
import ICAL from "ical.js";
import { registerMember, signedIn } from "./fixtures";

/** The one VEVENT of the file with this UID prefix, parsed by ical.js (a second, independent parser). */
function meetingIn(ics: string, uidPrefix = "meeting-"): { uid: string; start: Date; end: Date; sequence: number; status: string } {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const vevent = calendar.getAllSubcomponents("vevent").find((e) => String(e.getFirstPropertyValue("uid")).startsWith(uidPrefix));
  expect(vevent, `a VEVENT ${uidPrefix}… in\n${ics}`).toBeTruthy();
  const event = new ICAL.Event(vevent!);
  return {
    uid: event.uid,
    start: event.startDate.toJSDate(),
    end: event.endDate.toJSDate(),
    sequence: event.sequence,
    status: String(vevent!.getFirstPropertyValue("status")),
  };
}

const clockIn = (date: Date, zone: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);

async function addToCalendar(page: Page, partner: string): Promise<string> {
  await page.goto("/events/tartu-2027/meetings");
  const href = await page.locator("li.meeting", { hasText: partner }).getByRole("link", { name: "Add to my calendar" }).getAttribute("href");
  const response = await page.request.get(href ?? "");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/calendar");
  return response.text();
}

test("a meeting in the week the clocks change lands at 14:00 in Tallinn, follows its move, and the private feed carries it", async ({ browser }) => {
  const ana = await signedIn(browser, "attendee@eventxchange.test");
  await registerMember(ana, "tartu-2027", "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biomarker validation");
  const kadri = await signedIn(browser, "attendee.tartu@eventxchange.test");
  await registerMember(kadri, "tartu-2027", "tartu", "Tartu Omics OÜ", "Biomarker validation", "Proteomics assays");

  // The Tartu organisers stretch the event over the end of summer time (Sunday 31 October
  // 2027) and open a slot on the Friday before and the Monday after.
  const organiser = await signedIn(browser, "organiser.tartu@eventxchange.test");
  await organiser.goto("/organise/tartu-2027");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  await organiser.getByLabel("Last day (YYYY-MM-DD)").fill("2027-11-02");
  await organiser.getByRole("button", { name: "Save event details" }).click();
  await expect(organiser.getByText("Event details saved.")).toBeVisible();
  await organiser.goto("/organise/tartu-2027/b2b");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const windows = organiser.locator("#field-windows");
  await windows.fill(`${await windows.inputValue()}\n2027-10-29 14:00-14:20\n2027-11-01 14:00-14:20`);
  await organiser.getByRole("button", { name: "Save the B2B session" }).click();
  await expect(organiser.getByText("Saved.")).toBeVisible();

  // The organiser books Ana and Kadri into the Friday slot.
  await organiser.getByRole("link", { name: "Book, move and decide meetings" }).click();
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const choose = async (field: string, text: string) => {
    const select = organiser.getByLabel(field, { exact: true });
    await select.selectOption((await select.locator("option", { hasText: text }).first().getAttribute("value")) ?? "");
  };
  await choose("First person", "Ana Müller");
  await choose("Second person", "Kadri Kask");
  await choose("Slot", "Friday 29 October, 14:00");
  await organiser.getByRole("button", { name: "Book the meeting" }).click();
  await expect(organiser.getByText("Booked; both were told by mail.")).toBeVisible();

  // Friday is still summer time: 14:00 in Tallinn is 11:00 UTC and 13:00 in Berlin.
  const before = meetingIn(await addToCalendar(ana, "Kadri Kask"));
  expect(before.start.toISOString()).toBe("2027-10-29T11:00:00.000Z");
  expect(before.end.toISOString()).toBe("2027-10-29T11:20:00.000Z");
  expect(clockIn(before.start, "Europe/Tallinn")).toBe("14:00");
  expect(clockIn(before.start, "Europe/Berlin")).toBe("13:00");
  expect(before.status).toBe("CONFIRMED");

  // Moved to Monday, after the change: still 14:00 in Tallinn (12:00 UTC), same UID, higher SEQUENCE.
  await organiser.reload();
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const agreed = organiser.locator("ul.desk li.meeting").filter({ hasText: "Ana Müller" }).filter({ hasText: "Kadri Kask" });
  const slot = agreed.locator("select[name=slot]");
  await slot.selectOption((await slot.locator("option", { hasText: "Monday 1 November, 14:00" }).getAttribute("value")) ?? "");
  await agreed.getByRole("button", { name: "Move" }).click();
  await expect(organiser.locator("ul.desk li.meeting").filter({ hasText: "Kadri Kask" }).locator(".meeting-when")).toContainText("Monday 1 November");
  const after = meetingIn(await addToCalendar(kadri, "Ana Müller"));
  expect(after.uid).toBe(before.uid);
  expect(after.sequence).toBeGreaterThan(before.sequence);
  expect(after.start.toISOString()).toBe("2027-11-01T12:00:00.000Z");
  expect(clockIn(after.start, "Europe/Tallinn")).toBe("14:00");
  expect(clockIn(after.start, "Europe/Berlin")).toBe("13:00");

  // Ana's private feed, made on her account page, read by a client without her session.
  await ana.goto("/account");
  await expect(ana.locator("body")).toHaveAttribute("data-hydrated", "true");
  await ana.getByRole("button", { name: /Make my feed address|Make a new address/ }).click();
  const address = await ana.locator("input.feed-url").inputValue();
  expect(address).toMatch(/\/calendar\/[0-9a-f]{64}\.ics$/);
  await expect(ana.getByRole("link", { name: "Subscribe in your calendar app" })).toHaveAttribute("href", /^webcal:\/\//);
  const feedPath = new URL(address).pathname;
  const client = await request.newContext({ baseURL: new URL(ana.url()).origin });
  const feed = await client.get(feedPath);
  expect(feed.status()).toBe(200);
  const inFeed = meetingIn(await feed.text(), before.uid);
  expect(inFeed.start.toISOString()).toBe("2027-11-01T12:00:00.000Z");
  // Clients poll: unchanged, it answers 304.
  const again = await client.get(feedPath, { headers: { "If-None-Match": feed.headers()["etag"] } });
  expect(again.status()).toBe(304);

  // Kadri cancels: the feed keeps the meeting, cancelled.
  await kadri.goto("/events/tartu-2027/meetings");
  await expect(kadri.locator("body")).toHaveAttribute("data-hydrated", "true");
  await kadri.locator("li.meeting", { hasText: "Ana Müller" }).getByRole("button", { name: "Cancel" }).click();
  await expect(kadri.locator("li.meeting.past", { hasText: "Ana Müller" }).or(kadri.locator("ul.past li.meeting", { hasText: "Ana Müller" }))).toBeVisible();
  const cancelled = meetingIn(await (await client.get(feedPath)).text(), before.uid);
  expect(cancelled.status).toBe("CANCELLED");

  // A new address kills the old one.
  await ana.getByRole("button", { name: /Make a new address/ }).click();
  await expect(ana.locator("input.feed-url")).not.toHaveValue(address);
  expect((await client.get(feedPath)).status()).toBe(404);
  await client.dispose();
});
