// "Search": text box, top-k and threshold, ranked results.
import { SearchBox } from './SearchBox';
import { SearchControls } from './SearchControls';
import { SearchResults } from './SearchResults';
import './search.css';

export function SearchPanel() {
  return (
    <section className="panel" aria-labelledby="search-heading">
      <h2 id="search-heading">Search</h2>
      <SearchBox />
      <SearchControls />
      <SearchResults />
    </section>
  );
}
