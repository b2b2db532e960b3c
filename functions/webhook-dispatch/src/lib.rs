//! `webhook-dispatch`: consumes the ids of committed outbox events.
//!
//! Delivery to subscribers (signing, retries, logs) belongs to the webhooks issue; until then
//! the consumer acknowledges each event, which stays in the `events` outbox table, so nothing
//! is lost and the delivery worker can pick every event up from there.

use worker::{event, Context, Env, MessageBatch, MessageExt, Result};

#[event(queue)]
async fn consume(batch: MessageBatch<String>, _env: Env, _ctx: Context) -> Result<()> {
    for message in batch.messages()? {
        message.ack();
    }
    Ok(())
}
