/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OwnedList<T>: items in the order they were added, each allocated once
 * (its address stays valid until it is removed: callbacks may hold it),
 * walked as T &. An array of owning pointers rather than a linked list: a
 * walk loads the next item without waiting for the last one's link.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace p2p {

template <typename T> class OwnedList
{
  using Owned = std::vector<std::unique_ptr<T>>;

public:
  template <typename V, typename It> class Iterator
  {
  public:
    explicit Iterator (It it) : it_ (it) {}
    V &
    operator* () const
    {
      return **it_;
    }
    V *
    operator->() const
    {
      return it_->get ();
    }
    Iterator &
    operator++ ()
    {
      ++it_;
      return *this;
    }
    bool
    operator== (const Iterator &other) const
    {
      return it_ == other.it_;
    }
    bool
    operator!= (const Iterator &other) const
    {
      return it_ != other.it_;
    }

  private:
    It it_;
  };
  using iterator = Iterator<T, typename Owned::iterator>;
  using const_iterator = Iterator<const T, typename Owned::const_iterator>;

  OwnedList () = default;
  OwnedList (const OwnedList &) = delete;
  OwnedList &operator= (const OwnedList &) = delete;
  ~OwnedList () { clear (); }

  iterator
  begin ()
  {
    return iterator (items_.begin ());
  }
  iterator
  end ()
  {
    return iterator (items_.end ());
  }
  const_iterator
  begin () const
  {
    return const_iterator (items_.begin ());
  }
  const_iterator
  end () const
  {
    return const_iterator (items_.end ());
  }
  size_t
  size () const
  {
    return items_.size ();
  }
  bool
  empty () const
  {
    return items_.empty ();
  }

  /* A new item, value-initialised, at the end. */
  T *
  add ()
  {
    items_.push_back (std::make_unique<T> ());
    return items_.back ().get ();
  }

  /* Removes the items @pred holds for, keeping the others' order. They are
   * destroyed in the order they were added, once out of the list (a
   * destructor that walks the list does not meet them), as
   * std::list::remove_if () does. */
  template <typename Pred>
  void
  remove_if (Pred pred)
  {
    Owned removed;
    size_t kept = 0;
    for (size_t i = 0; i < items_.size (); i++) {
      if (pred (static_cast<const T &> (*items_[i])))
        removed.push_back (std::move (items_[i]));
      else if (kept++ != i)
        items_[kept - 1] = std::move (items_[i]);
    }
    items_.resize (kept);
    for (auto &item : removed)
      item.reset ();
  }

  /* Removes every item, destroyed in the order they were added, once out
   * of the list. */
  void
  clear ()
  {
    Owned all;
    all.swap (items_);
    for (auto &item : all)
      item.reset ();
  }

private:
  Owned items_;
};

} // namespace p2p
