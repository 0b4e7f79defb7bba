//! CPU-bound work over many rows split across the machine's cores: billing's
//! pricing and fingerprinting, the import's new rows. It blocks the calling
//! thread until every chunk is done, so async callers run it inside
//! `spawn_blocking`.

use crate::error::{AppError, AppResult};

/// Applies `work` to every item on scoped threads, one contiguous chunk of at
/// least `min_chunk` items per thread, and returns the results in input
/// order. Small inputs stay on the calling thread.
pub fn map<T, U, F>(items: &[T], min_chunk: usize, work: F) -> AppResult<Vec<U>>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(min_chunk).max(1);
    if items.len() <= chunk {
        return Ok(items.iter().map(&work).collect());
    }
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(work).collect::<Vec<_>>()))
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for worker in workers {
            let part = worker
                .join()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("a worker thread panicked")))?;
            results.extend(part);
        }
        Ok(results)
    })
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn keeps_input_order_across_chunks() {
        let items: Vec<u32> = (0..10_007).collect();
        let doubled = map(&items, 100, |n| n * 2).unwrap();
        assert_eq!(doubled.len(), items.len());
        assert!(doubled.iter().enumerate().all(|(i, n)| *n == 2 * i as u32));
    }

    #[test]
    fn small_and_empty_inputs() {
        assert_eq!(map(&[1, 2, 3], 1_000, |n| n + 1).unwrap(), vec![2, 3, 4]);
        assert!(map(&[] as &[u8], 1, |n| *n).unwrap().is_empty());
    }
}
