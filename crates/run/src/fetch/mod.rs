//! `skillgap fetch`: fetches from France Travail's APIs into the output store's landing
//! area, each answer landed as received before anything parses it, the watermark moved
//! last; `skillgap run` reads the landing.

mod labour_market;
mod landing;
mod offers;

pub use labour_market::{
    LABOUR_MARKET_ANSWERS, LabourMarketOutcome, LabourMarketRequest, LabourMarketWatermark, fetch_labour_market,
    landed_answers,
};
pub use offers::{FetchOutcome, FetchRequest, LANDED_PAGES, Watermark, fetch, landed_pages};
