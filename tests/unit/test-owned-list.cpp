/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OwnedList: order kept through additions and removals, addresses stable,
 * removed items destroyed in order once out of the list.
 */
#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

#include "gst/p2p/common/owned-list.h"

using namespace p2p;

namespace {

struct Item;
using Items = OwnedList<Item>;

/* Records its destruction, and what the list held then. */
struct Item
{
  int value = 0;
  bool dead = false;
  std::vector<int> *destroyed = nullptr;
  const Items *list = nullptr;
  std::vector<size_t> *sizes_seen = nullptr;

  ~Item ()
  {
    if (!destroyed)
      return;
    destroyed->push_back (value);
    for (const Item &other : *list)
      fail_if (&other == this, "destroyed while still in the list");
    sizes_seen->push_back (list->size ());
  }
};

std::vector<int>
values (const Items &items)
{
  std::vector<int> out;
  for (const Item &item : items)
    out.push_back (item.value);
  return out;
}

} // namespace

GST_START_TEST (test_order_addresses_and_removal)
{
  std::vector<int> destroyed;
  std::vector<size_t> sizes_seen;
  Items items;
  std::vector<Item *> added;
  for (int i = 0; i < 100; i++) {
    Item *item = items.add ();
    item->value = i;
    item->destroyed = &destroyed;
    item->list = &items;
    item->sizes_seen = &sizes_seen;
    added.push_back (item);
  }
  /* Growing the list moved no item. */
  int i = 0;
  for (Item &item : items)
    fail_unless (&item == added[i++]);
  fail_unless_equals_int (items.size (), 100);

  /* Every third and the last go; the others keep their order and address. */
  for (int j = 0; j < 100; j++)
    added[j]->dead = j % 3 == 0 || j == 99;
  items.remove_if ([] (const Item &item) { return item.dead; });
  std::vector<int> expected_destroyed, expected_left;
  for (int j = 0; j < 100; j++)
    (j % 3 == 0 || j == 99 ? expected_destroyed : expected_left).push_back (j);
  fail_unless (destroyed == expected_destroyed);
  fail_unless (values (items) == expected_left);
  for (size_t n : sizes_seen)
    fail_unless_equals_int (n, expected_left.size ());
  for (Item &item : items)
    fail_unless (&item == added[item.value]);

  /* Nothing to remove: nothing moves. */
  items.remove_if ([] (const Item &) { return false; });
  fail_unless (values (items) == expected_left);

  /* Clearing destroys the rest in order, each out of the list. */
  destroyed.clear ();
  sizes_seen.clear ();
  items.clear ();
  fail_unless (destroyed == expected_left);
  for (size_t n : sizes_seen)
    fail_unless_equals_int (n, 0);
  fail_unless (items.empty ());
}

GST_END_TEST;

static Suite *
owned_list_suite (void)
{
  Suite *s = suite_create ("owned-list");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_order_addresses_and_removal);
  return s;
}

GST_CHECK_MAIN (owned_list);
