"""The pieces of exact resumption in-process: seeds as a function of
(seed, position), the counter the sampler gives each sample, the dataset that
seeds from it, and the DataLoader rebuilt around them."""
from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader, SequentialSampler

from mmtnt.engine.dataloader import DatasetWrapper, rebuild_dataloader
from mmtnt.engine.exact_resume import (ExactResumeHook, SeededDataset,
                                       SeededSampler, derive_seed,
                                       seeded_dataloader)


class Draws:
    """Item i: i and a random number drawn when it is loaded."""

    metainfo = {'classes': ('a', 'b')}

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.tensor([float(i), torch.rand(1).item()])

    def get_data_info(self, i):
        return {'index': i}


def test_seed_of_one_number_by_hand_and_of_several_in_order():
    # one number n: h = n + 1, then h ^ (h >> 29) = h for small n
    assert derive_seed(5) == 6
    assert derive_seed(0) == 1
    seeds = {derive_seed(a, b) for a in range(20) for b in range(20)}
    assert len(seeds) == 400  # no two positions share a seed
    assert derive_seed(1, 2) != derive_seed(2, 1)
    assert all(0 <= s < 2**32 for s in seeds)
    # two numbers, by hand: h = 1 + 1 = 2 (2 >> 29 is 0), then
    # h = 2 * 0x9E3779B97F4A7C15 + 2 + 1 mod 2^64, h ^= h >> 29, mod 2^32
    h = (2 * 0x9E3779B97F4A7C15 + 3) % 2**64
    assert derive_seed(1, 2) == (h ^ (h >> 29)) % 2**32 == 501441466
    # Checkpoints resume with these seeds: a change would break exact
    # resumption across versions.
    assert derive_seed(7, 3, 1) == 2341373192


def test_sampler_gives_every_epoch_and_position_its_own_counter():
    data = Draws()

    class Inner(SequentialSampler):
        epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    inner = Inner(range(4))
    sampler = SeededSampler(inner, data)
    assert len(sampler) == 4
    # key = index + len(dataset) * counter, counter = epoch * 4 + position
    assert list(sampler) == [0, 1 + 4 * 1, 2 + 4 * 2, 3 + 4 * 3]
    sampler.set_epoch(2)
    assert inner.epochs == [2]
    assert list(sampler) == [i + 4 * (8 + i) for i in range(4)]


def test_dataset_seeds_each_load_from_its_counter():
    dataset = SeededDataset(Draws(), seed=3)
    first = dataset[1 + 4 * 7]  # index 1, counter 7
    torch.manual_seed(0)
    assert torch.equal(dataset[1 + 4 * 7], first)  # whatever ran before
    assert first[0] == 1
    assert dataset[1 + 4 * 8][1] != first[1]  # another counter
    torch.manual_seed(derive_seed(3, 7))
    assert first[1] == torch.rand(1).item()
    assert dataset.get_data_info(2 + 4 * 5) == {'index': 2}
    assert len(dataset) == 4 and dataset.metainfo == Draws.metainfo


def test_wrapper_forwards_attributes_and_pickles_for_workers():
    wrapper = DatasetWrapper(Draws())
    assert wrapper.get_data_info(3) == {'index': 3}
    with pytest.raises(AttributeError):
        wrapper.__missing_dunder__
    # a worker unpickles it before `dataset` is set
    with pytest.raises(AttributeError):
        DatasetWrapper.__new__(DatasetWrapper).dataset
    import pickle
    again = pickle.loads(pickle.dumps(wrapper))
    assert again.get_data_info(1) == {'index': 1}


@pytest.mark.parametrize('workers', [0, 2])
def test_rebuilt_loader_keeps_the_settings_and_seeds_the_samples(workers):

    def collate(items):
        return torch.stack(items)

    loader = DataLoader(
        Draws(),
        batch_size=2,
        num_workers=workers,
        collate_fn=collate,
        drop_last=True,
        **(dict(prefetch_factor=3, timeout=30) if workers else {}))
    seeded = seeded_dataloader(loader, seed=11)
    assert (seeded.batch_size, seeded.num_workers, seeded.drop_last,
            seeded.collate_fn) == (2, workers, True, collate)
    if workers:
        assert (seeded.prefetch_factor, seeded.timeout) == (3, 30)
    first = torch.cat(list(seeded))
    assert first[:, 0].tolist() == [0., 1., 2., 3.]
    torch.testing.assert_close(torch.cat(list(seeded)), first)  # same epoch
    seeded.sampler.set_epoch(1)
    assert not torch.equal(torch.cat(list(seeded))[:, 1], first[:, 1])
    # the value drawn for sample i of epoch 0 comes from its counter i
    torch.manual_seed(derive_seed(11, 2))
    assert first[2, 1].item() == torch.rand(1).item()


def test_batch_sampler_of_another_kind_is_copied_with_the_wrapped_sampler():

    class PairSampler:  # e.g. mmdet's AspectRatioBatchSampler

        def __init__(self, sampler):
            self.sampler = sampler

        def __iter__(self):
            batch = []
            for i in self.sampler:
                batch.append(i)
                if len(batch) == 2:
                    yield batch
                    batch = []

        def __len__(self):
            return len(self.sampler) // 2

    own = PairSampler(SequentialSampler(range(4)))
    loader = DataLoader(Draws(), batch_sampler=own)
    rebuilt = rebuild_dataloader(loader, Draws(), lambda s: ('wrapped', s))
    assert type(rebuilt.batch_sampler) is PairSampler
    assert rebuilt.batch_sampler is not own
    assert rebuilt.batch_sampler.sampler == ('wrapped', own.sampler)
    assert own.sampler is not rebuilt.batch_sampler.sampler


def test_hook_seeds_each_iteration_from_seed_iteration_and_rank():
    runner = SimpleNamespace(seed=5, iter=42)
    ExactResumeHook().before_train_iter(runner, 0)
    drawn = torch.rand(3)
    torch.manual_seed(derive_seed(5, 42, 0))  # rank 0 of 1
    assert torch.equal(drawn, torch.rand(3))
